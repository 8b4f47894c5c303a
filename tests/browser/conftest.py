"""Browser tests: the test's own app served on 127.0.0.1, Chromium through Playwright, axe.

What a test gets:
- `live_server`: the base URL of a server running *this test's* `app` (tests/conftest.py) in a
  thread, with CSRF on. Pages therefore show exactly what the test's factories committed, and
  the `app` fixture empties the tables afterwards as for any other test. `page` uses it as its
  base URL, so `page.goto("/login")` works.
- `page`: pytest-playwright's page (headless /usr/bin/chromium, British English).
- `check_a11y(page)`: runs axe now and fails on serious or critical violations.
- `screenshot(page, name)`: saves tests/browser/screenshots/NAME.png (full page) to look at
  (not under CI=true unless SCREENSHOTS=1).
- `log_in(page, user)`: logs in through the form, as a person would.

The axe check runs on every page a test visits, without the test asking: an init script
runs axe in each document of the live server once it has loaded and reports back; before the
browser may leave a page (a route handler holds every navigation request until that report
has come), and when the test body returns the watch waits for the pages it ends on. Findings
fail the test at its end, as does a server error (5xx) or an uncaught JavaScript error. Not
checked: a document left before it even finished loading (nobody saw it), and contexts a
test makes itself with `new_context`.

Sharing the database with the server thread: the same route handler commits the test's
session before each request reaches the server, so the test never holds a transaction (or,
on SQLite, a lock or an old snapshot) while the server works, and objects the test holds are
reloaded after the browser changed them. Test code also runs inside a GET request context,
which makes its SQLite transactions start as plain BEGIN instead of BEGIN IMMEDIATE
(booking/database.py): a read in the test never blocks a request still in flight. Assert on
what the page shows first; then the database is settled.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError, expect
from werkzeug.serving import make_server

from booking.extensions import db
from booking.unit_of_work import own_boundary
from tests.fixtures.accounts import PASSWORD

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = HERE / "screenshots"
AXE_SOURCE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def pytest_configure(config):
    # pytest-playwright's own base_url fixture trips a pytest deprecation; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
        if "page" in getattr(item, "fixturenames", ()):
            # With `-n 2 --dist loadgroup` (.ci/run) one worker drives Chromium while the other
            # runs the rest: two browsers at once on two cores made pages miss their timeouts.
            item.add_marker(pytest.mark.xdist_group("browser"))


# --- Chromium ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The base URL is the live server's, which is per test (see `context`).
    args = {k: v for k, v in browser_context_args.items() if k != "base_url"}
    return {**args, "locale": "en-GB", "timezone_id": "Europe/Helsinki", "viewport": {"width": 1280, "height": 800}}


# --- the server -------------------------------------------------------------------------

@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app):
    """Serve the test's app on a free port of 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server",
                              daemon=True)
    thread.start()
    # Test code reads like a GET request: deferred SQLite transactions (see the module docstring).
    # The test code is its own boundary (its factories commit), not a request the app serves.
    with app.test_request_context("/"), own_boundary():
        yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


# --- accessibility ----------------------------------------------------------------------

# Runs in every top-level document of the live server: axe checks the page once it has
# loaded, and reports through two functions the watch exposes. `__a11yCheck()` runs it again
# on demand (after the previous run, as axe runs one at a time).
AUDIT_SCRIPT = """
if (window.top === window && location.origin === %(origin)s) {
%(axe)s
(() => {
  const run = async () => {
    if (document.contentType !== 'text/html') return null;
    const results = await axe.run(document, {runOnly: {type: 'tag', values: %(tags)s}, resultTypes: ['violations']});
    return results.violations
      .filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}));
  };
  let queue = Promise.resolve();
  window.__a11yCheck = () => (queue = queue.then(run, run));
  const id = Math.random().toString(36).slice(2);
  // The check starts (and the watch holds navigations away from the page) once the page has
  // loaded: a document left before its load event never reports, and was never really seen.
  const done = (violations, error) => window.__a11yDone(id, location.href, violations, error);
  const check = () => {
    window.__a11yStarted(id, location.href);
    window.__a11yCheck().then(v => done(v, null), e => done(null, String(e)));
  };
  if (document.readyState === 'complete') check(); else window.addEventListener('load', check, {once: true});
})();
}
"""


def describe(url: str, violations: list[dict]) -> str:
    lines = [f"{urlsplit(url).path or url}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"      at {target}" for target in v["targets"])
    return "\n".join(lines)


@pytest.fixture
def check_a11y():
    """check_a11y(page): fail now if axe finds serious or critical violations on the page as
    it is (pages are checked automatically once loaded; use this after changing one)."""
    def check(page):
        violations = page.evaluate("window.__a11yCheck()") or []
        assert not violations, "Accessibility violations (axe):\n" + describe(page.url, violations)
    return check


class PageWatch:
    """What happened in the browser during one test: axe findings, server and script errors."""

    def __init__(self, context, base_url: str):
        self.context = context
        # Per page, the document whose axe run has not reported yet: (id, URL). A page shows
        # one document at a time, so a newer one replaces a document that never finished
        # loading (left before its load event, so never really seen).
        self.pending: dict[object, tuple[str, str]] = {}
        # Per page, navigations away from it held until its document's check has reported.
        self.held: dict[object, list] = {}
        self.findings: dict[str, list[dict]] = {}
        self.errors: list[str] = []
        context.expose_binding("__a11yStarted", self.started)
        context.expose_binding("__a11yDone", self.done)
        origin = json.dumps(base_url)
        context.add_init_script(AUDIT_SCRIPT % {"origin": origin, "axe": AXE_SOURCE, "tags": json.dumps(AXE_TAGS)})

    def started(self, source, doc_id, url) -> None:
        self.pending[source["page"]] = (doc_id, url)

    def done(self, source, doc_id, url, violations, error) -> None:
        page = source["page"]
        if self.pending.get(page, ("",))[0] == doc_id:
            del self.pending[page]
        if error:
            self.errors.append(f"axe failed on {url}: {error}")
        known = self.findings.setdefault(url, [])
        known.extend(v for v in violations or [] if v not in known)
        if not known:
            del self.findings[url]
        if page not in self.pending:
            for go in self.held.pop(page, []):
                go()

    def after_check(self, page, go) -> None:
        """Run `go` (let a navigation away from the page proceed) once the page's document has
        been checked: now, or when its check reports. The route handler must not wait for the
        report itself: the report arrives as a call from the page, which is not delivered while
        a handler waits (waiting there ran into the click's timeout when axe was slow)."""
        if page in self.pending and not page.is_closed() and not self._shows(page, self.pending[page][1]):
            # Its check began after the test had left it (for an e-mail shown on a blank page):
            # that document is gone and will never report.
            del self.pending[page]
        if page in self.pending and not page.is_closed():
            self.held.setdefault(page, []).append(go)
        else:
            go()

    @staticmethod
    def _shows(page, url: str) -> bool:
        return page.url.partition("#")[0] == url.partition("#")[0]

    def settle(self, page) -> None:
        """Wait (letting the browser work) until the page's loaded document has been checked;
        from test code, never from a route handler (see `after_check`)."""
        deadline = time.monotonic() + 15
        while page in self.pending and not page.is_closed() and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        if page in self.pending and not page.is_closed():
            self.errors.append(f"axe did not finish on {self.pending[page][1]}")
        self.pending.pop(page, None)
        for go in self.held.pop(page, []):
            go()

    def report(self) -> str:
        parts = [describe(url, violations) for url, violations in self.findings.items()]
        if parts:
            parts.insert(0, "Accessibility violations (axe, serious or critical):")
        return "\n".join(parts + self.errors)


@pytest.fixture
def context(new_context, live_server, request):
    context = new_context(base_url=live_server)
    context.set_default_timeout(10_000)  # a page of this app that takes longer is a failure
    watch = PageWatch(context, live_server)
    request.node.page_watch = context.page_watch = watch
    session = db.session()  # the test's session: the handlers below run in another greenlet

    def before_request(route):
        req = route.request

        def go():
            try:
                if session.in_transaction():
                    session.commit()
                route.continue_()
            except PlaywrightError:
                # The page or context closed while the request waited (a late request of a
                # test that has ended): nothing is left to answer.
                if not req.frame.page.is_closed():
                    raise

        if req.is_navigation_request():
            watch.after_check(req.frame.page, go)  # the page being left is checked first
        else:
            go()

    def on_response(response):
        if response.status >= 500:
            watch.errors.append(f"Server error {response.status} on {response.request.method} {response.url}")

    context.route(lambda url: url.startswith(live_server) and "/static/" not in url, before_request)
    context.on("response", on_response)
    def on_console(page, message):
        # A Content-Security-Policy refusal shows only as a console error: a page relying on
        # inline script or style would silently lose it in production.
        if message.type == "error" and "Content Security Policy" in message.text:
            watch.errors.append(f"CSP violation on {page.url}: {message.text}")

    def on_page(page):
        page.on("pageerror", lambda exc: watch.errors.append(f"JavaScript error on {page.url}: {exc}"))
        page.on("console", lambda message: on_console(page, message))

    context.on("page", on_page)
    yield context
    # Requests still in flight when the context closes must not reach the handler above.
    context.unroute_all(behavior="ignoreErrors")


PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> None:
    """The page fits its window: nothing makes it scroll sideways. Measured once the page has
    loaded: before its stylesheets arrive a page is laid out unstyled (and far wider)."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px window"


def leave_the_app(page) -> None:
    """Wait until the app's page shown now has been checked, before the test leaves it for a
    page that is not the app's (an e-mail as a mail client shows it): the watch sees only
    navigations to the app, so the check of a page left this way would never report."""
    page.context.page_watch.settle(page)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Wait for the checks of the pages the test ends on; fail it on anything the watch saw."""
    result = yield
    watch = getattr(item, "page_watch", None)
    if watch is not None:
        for page in watch.context.pages:
            watch.settle(page)
        if report := watch.report():
            pytest.fail(report, pytrace=False)
    return result


# --- screenshots ------------------------------------------------------------------------

# Screenshots are for a person to look at, so CI (a checkout thrown away afterwards) takes none
# unless SCREENSHOTS=1: a whole-page screenshot cost an eighth of a browser test's time.
TAKE_SCREENSHOTS = os.environ.get("SCREENSHOTS", "0" if os.environ.get("CI", "").lower() == "true" else "1") == "1"


@pytest.fixture
def screenshot():
    """screenshot(page, name) → path of tests/browser/screenshots/NAME.png (whole page), or None
    where screenshots are off (see TAKE_SCREENSHOTS)."""
    def take(page, name: str) -> Path | None:
        if not TAKE_SCREENSHOTS:
            return None
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


@pytest.fixture
def log_in():
    """log_in(page, user_or_email, password=PASSWORD): log in through the form; lands on the person's landing
    page (a manager's inbox, the admin's city overview, else the front page)."""
    def submit(page, user_or_email, password=PASSWORD):
        page.goto("/login")
        page.get_by_label("E-mail").fill(getattr(user_or_email, "email", user_or_email))
        page.get_by_role("textbox", name="Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("You are logged in.")).to_be_visible()
    return submit
