"""The architecture, checked: domains stack one way, and use cases never reach up into words
or the web (DESIGN.md: views/api → services → rules/models)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from booking import DOMAINS

PACKAGE = Path(__file__).resolve().parents[1] / "booking"


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "booking" and parts[1] in DOMAINS else None


def modules_of(domain: str):
    return sorted((PACKAGE / domain).rglob("*.py"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_domain_never_imports_a_higher_one(domain):
    if not (PACKAGE / domain).exists():
        pytest.skip(f"{domain} is not built yet")
    higher = set(DOMAINS[DOMAINS.index(domain) + 1:])
    wrong = {f"{path.relative_to(PACKAGE)} imports {module}"
             for path in modules_of(domain) for module in imports(path) if domain_of(module) in higher}
    assert not wrong, sorted(wrong)


# Use cases return codes and values; words, formats and URLs belong to the layers above.
WEB_AND_WORDS = ("booking.site", "flask.url_for", "flask.render_template", "flask.flash",
                 "flask_babel.gettext", "flask_babel.ngettext", "flask_babel.format_datetime")


# notifications renders the e-mails: turning a queued message into words is its job.
@pytest.mark.parametrize("domain", [d for d in DOMAINS if d != "notifications"])
def test_services_and_rules_never_reach_up_into_words_or_the_web(domain):
    if not (PACKAGE / domain).exists():
        pytest.skip(f"{domain} is not built yet")
    paths = [p for p in modules_of(domain) if p.name in ("rules.py", "services.py") or p.parent.name == "services"]
    wrong = {f"{path.relative_to(PACKAGE)} imports {module}"
             for path in paths for module in imports(path) if module in WEB_AND_WORDS}
    assert not wrong, sorted(wrong)


def service_modules(domain: str) -> list[Path]:
    return [p for p in modules_of(domain) if p.name == "services.py" or p.parent.name == "services"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_services_never_commit_or_roll_back(domain):
    """The boundary owns the transaction (booking/unit_of_work.py); a use case only adds and flushes."""
    if not (PACKAGE / domain).exists():
        pytest.skip(f"{domain} is not built yet")
    wrong = set()
    for path in service_modules(domain):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback")):
                wrong.add(f"{path.relative_to(PACKAGE)}:{node.lineno} calls .{node.func.attr}()")
    assert not wrong, sorted(wrong)
