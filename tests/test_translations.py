"""Finnish and Swedish must cover every user-visible string, and the compiled catalogues
must match the sources (run scripts/translations.sh after changing strings)."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "booking" / "translations"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2)}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=[("booking/**.py", "python"), ("templates/**.html", "jinja2"),
                                   ("templates/**.txt", "jinja2")],
            keywords=KEYWORDS, options_map={"templates/**": {"extensions": "jinja2.ext.i18n"}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def source_messages():
    return _source_messages()


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_catalogue_translates_every_string(lang, source_messages):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    missing = []
    for msgid in sorted(source_messages):
        message = catalogue.get(msgid)
        strings = message.string if message is not None else None
        filled = all(strings) if isinstance(strings, (tuple, list)) else bool(strings)
        if message is None or not filled or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{len(missing)} strings lack a {lang} translation (scripts/translations.sh): {missing[:15]}"


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_compiled_catalogue_is_current(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        po = read_po(handle)
    with open(folder / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    def plain(value):  # babel reads plural strings as a tuple from .po and a list from .mo
        return tuple(value) if isinstance(value, (list, tuple)) else value

    stale = [m.id for m in po if m.id and m.string and not m.fuzzy
             and (mo.get(m.id) is None or plain(mo.get(m.id).string) != plain(m.string))]
    assert not stale, f"messages.mo is older than messages.po for {lang}: run scripts/translations.sh ({stale[:5]})"


def test_pages_render_in_finnish_and_swedish(client):
    client.post("/language", data={"language": "fi"})
    assert 'lang="fi"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"language": "sv"})
    assert 'lang="sv"' in client.get("/").get_data(as_text=True)
