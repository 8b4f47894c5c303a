"""The browser-test harness itself: it catches what it promises to catch, and the test and the
live server share one database without waiting on each other."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from booking.accounts.models import User
from booking.extensions import db

# A page with two critical axe findings: an image without alt text and an unlabelled field.
BAD_PAGE = ("<!doctype html><html lang='en'><title>Bad</title><main><img src='/static/none.png'>"
            "<form action='/login'><input name='q'><button>Go</button></form><a href='/'>Home</a></main></html>")


@pytest.fixture
def bad_page(page, live_server):
    page.route(f"{live_server}/bad", lambda route: route.fulfill(body=BAD_PAGE, content_type="text/html"))
    return page


def take_findings(request) -> dict:
    """The watch's findings, cleared so that this test itself passes."""
    watch = request.node.page_watch
    findings = {url.rsplit("/", 1)[-1]: sorted(v["id"] for v in found) for url, found in watch.findings.items()}
    watch.findings.clear()
    return findings


def test_a_page_left_at_once_is_checked_before_the_browser_leaves(bad_page, request):
    bad_page.goto("/bad")
    bad_page.get_by_role("link", name="Home").click()
    expect(bad_page.get_by_role("heading", level=1)).to_be_visible()
    assert take_findings(request) == {"bad": ["image-alt", "label"]}


def test_check_a11y_fails_at_once(bad_page, check_a11y, request):
    bad_page.goto("/bad")
    with pytest.raises(AssertionError, match=r"(?s)image-alt.*at img.*label.*at input"):
        check_a11y(bad_page)
    bad_page.goto("/")
    take_findings(request)


def test_server_errors_fail_the_test(page, live_server, request):
    page.route(f"{live_server}/broken", lambda route: route.fulfill(
        status=500, body="<!doctype html><html lang='en'><title>Oops</title><main>Oops</main></html>",
        content_type="text/html"))
    page.goto("/broken")
    page.goto("/")
    assert request.node.page_watch.errors == [f"Server error 500 on GET {live_server}/broken"]
    request.node.page_watch.errors.clear()


def test_test_and_server_share_the_database(page, member, create_user, log_in):
    log_in(page, member)  # reading member.email here never blocks the server's writes
    other = create_user(name="Olli Other")  # written after the server wrote: no stale snapshot
    page.get_by_role("button", name="Log out").click()
    log_in(page, other)
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Name").fill("Olli Renamed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your profile is saved.")

    assert other.name == "Olli Renamed"  # the test's objects are reloaded after the browser acted
    assert db.session.scalar(select(User.name).where(User.email == other.email)) == "Olli Renamed"


def test_script_errors_fail_the_test(page, live_server, request):
    page.route(f"{live_server}/throws", lambda route: route.fulfill(
        body="<!doctype html><html lang='en'><title>Throws</title><main>Hi</main><script>nope()</script></html>",
        content_type="text/html"))
    page.goto("/throws")
    page.goto("/")
    [error] = request.node.page_watch.errors
    assert error.startswith(f"JavaScript error on {live_server}/throws") and "nope is not defined" in error
    request.node.page_watch.errors.clear()
