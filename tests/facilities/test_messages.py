"""Services give codes; the wording lives in booking/facilities/messages.py (and fetching's own)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from booking import fetching
from booking.errors import RuleViolation
from booking.facilities import ical, importing, services
from booking.formatting import has_text

SERVICES = [Path(m.__file__) for m in (services, importing, ical, fetching)]


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_import_no_web_layer_and_no_gettext(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert "booking.site" not in imported
    assert not {"flask_babel.gettext", "flask_babel.ngettext"} & imported
    if path.name != "fetching.py":  # fetching registers its own few sentences, as a domain's messages.py does
        assert not any(name.startswith("flask_babel") for name in imported)


def test_every_code_a_service_can_raise_has_words(app):
    codes = set()
    for path in SERVICES + [Path(importing.__file__).with_name("manage.py")]:
        codes.update(re.findall(r'Message\(\s*"([a-z_.]+)"', path.read_text()))
    codes.update(f"facilities.column.{name}" for name in importing.BASE_COLUMN_NAMES)
    codes.update(f"facilities.photo.{code}" for code in ("too_large", "missing", "not_an_image", "too_many_pixels"))
    codes.update(f"facilities.calendar.{code}" for code in ("too_large", "too_slow", "too_many", "not_ical"))
    codes.update(f"facilities.calendar.event.{code}" for code in (
        "no_start", "bad_start", "bad_end", "no_freq", "bad_rule", "bad_dates", "too_many", "too_slow", "unreadable"))
    assert len(codes) > 150
    assert sorted(code for code in codes if not has_text(code)) == []


def test_a_refusal_carries_codes_and_words(app, english, create_department):
    department = create_department("Parks")
    with pytest.raises(RuleViolation) as refused:
        services.create_facility(name=" ", department_id=department.id, category="castle", capacity=-1,
                                 timezone="Mars/Olympus")
    assert sorted(refused.value.codes) == ["facilities.capacity_invalid", "facilities.category_unknown",
                                           "facilities.name_missing", "facilities.timezone_unknown"]
    assert refused.value.field_errors["timezone"] == [
        "'Mars/Olympus' is not a time zone; use a name like Europe/Helsinki."]


def test_text_errors_keep_every_reason(app, english):
    with pytest.raises(services.TextError) as refused:
        services.parse_week("Mon 25:00-26:00; Fri-Mon 10:00-12:00; Tue 08:00-10:00; Tue 10:00-12:00")
    assert [m.code for m in refused.value.messages] == [
        "facilities.text.not_a_time_of_day", "facilities.text.days_backwards", "facilities.text.day_twice"]
    assert str(refused.value) == ("'25:00' is not a time of day. 'Fri-Mon' runs backwards; write Mon-Fri, not "
                                  "Fri-Mon. Tue is given twice.")
