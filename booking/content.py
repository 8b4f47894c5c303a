"""What the city writes (facility names, descriptions, rules, terms, questions, departments,
amenities), in every language it publishes in.

Each text column holds the text in the city's content language (`CONTENT_LANGUAGE`, the
fallback), and the entity's `translations` JSON column the other languages:
`{"fi": {"name": "…", "description": "…"}, "sv": {…}}`. Reading a field in a language gives
the text, the language it is really in, and whether it fell back, so a page can mark it.
The pure part (`translated`, `merge_translations`) needs no Flask; `current_language` and
`content_language` read the request and the configuration.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_app_context
from flask_babel import get_locale
from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

LANGUAGES = ("en", "fi", "sv")
# Each language in itself, as people look for it.
LANGUAGE_NAMES = {"en": "English", "fi": "Suomi", "sv": "Svenska"}


@dataclass(frozen=True)
class Translated:
    """A text as read in one language: `missing` when it had to fall back to `language`."""
    text: str
    language: str
    missing: bool

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


class InReadersLanguage:
    """A field to be read when a text is rendered (an e-mail subject in its recipient's
    language): `Message(…, facility=InReadersLanguage(facility, "name"))`."""

    def __init__(self, obj, field: str):
        self.obj, self.field = obj, field

    def __str__(self) -> str:
        return self.obj.t(self.field)


class Translatable:
    """A model mixin: the `translations` column and reading a field in a language."""

    # Subclasses name the text columns a city translates.
    TRANSLATABLE: tuple[str, ...] = ()

    # The server default ('{}', as the migrations make it) lets a row written in plain SQL have none.
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    def translated(self, field: str, language: str | None = None, base: str | None = None) -> Translated:
        base = base or content_language()
        return translated(getattr(self, field) or "", self.translations or {}, field,
                          language or current_language(), base)

    def t(self, field: str, language: str | None = None) -> str:
        """The field's text in `language` (default: the reader's), falling back to the city's."""
        return self.translated(field, language).text

    def texts(self, field: str, base: str | None = None) -> dict[str, str]:
        """Every language's text of a field, the base language's from its column ('' where none)."""
        return all_texts(getattr(self, field) or "", self.translations or {}, field, base or content_language())

    def set_texts(self, field: str, texts: dict[str, str], base: str | None = None) -> None:
        """Set a field in the languages given (the base language goes to the column)."""
        base = base or content_language()
        if base in texts:
            setattr(self, field, texts[base])
        self.translations = merge_translations(self.translations or {}, field,
                                               {k: v for k, v in texts.items() if k != base})


def clean_translations(translations: dict | None, fields: tuple[str, ...]) -> dict:
    """Only the languages other than the content language and the given fields, trimmed, the
    empty ones left out: what a `translations` column holds."""
    base = content_language()
    cleaned: dict[str, dict[str, str]] = {}
    for language, texts in (translations or {}).items():
        if language not in LANGUAGES or language == base or not isinstance(texts, dict):
            continue
        kept = {field: text.strip() for field, text in texts.items()
                if field in fields and isinstance(text, str) and text.strip()}
        if kept:
            cleaned[language] = kept
    return cleaned


def translated(base_text: str, translations: dict, field: str, language: str, base: str) -> Translated:
    """The text of `field` in `language`, or the base language's with `missing` set."""
    if language != base:
        text = ((translations or {}).get(language) or {}).get(field) or ""
        if text.strip():
            return Translated(text, language, False)
        return Translated(base_text, base, bool(base_text))
    return Translated(base_text, base, False)


def all_texts(base_text: str, translations: dict, field: str, base: str) -> dict[str, str]:
    return {language: base_text if language == base else ((translations or {}).get(language) or {}).get(field) or ""
            for language in LANGUAGES}


def merge_translations(translations: dict, field: str, texts: dict[str, str]) -> dict:
    """A new translations mapping with `field` set in the given languages; empty text removes it.

    A new dict, so SQLAlchemy sees the JSON column change."""
    merged = {language: dict(fields) for language, fields in (translations or {}).items()}
    for language, text in texts.items():
        if language not in LANGUAGES:
            continue
        text = (text or "").strip()
        fields = merged.setdefault(language, {})
        if text:
            fields[field] = text
        else:
            fields.pop(field, None)
        if not fields:
            merged.pop(language)
    return merged


def languages_in_order() -> list[str]:
    """The content language first, then the others: the columns of a side-by-side form."""
    base = content_language()
    return [base] + [language for language in LANGUAGES if language != base]


def content_language() -> str:
    """The language the text columns are written in, and the one shown where a translation is missing."""
    if has_app_context():
        return current_app.config.get("CONTENT_LANGUAGE", "en")
    return "en"


def current_language() -> str:
    """The reader's language: the API's choice (?lang=, Accept-Language), else the page's locale."""
    if has_app_context():
        chosen = g.get("content_language")
        if chosen:
            return chosen
        locale = get_locale()
        if locale is not None and locale.language in LANGUAGES:
            return locale.language
    return content_language()
