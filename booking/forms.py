"""The base of every web form: text fields refuse what no person types on purpose (control
characters, NUL, text-direction overrides that make a name read backwards) and have a
length cap even where a form forgot one. The character rule is booking.plaintext's, which the
API's text type uses too."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from booking.content import (
    LANGUAGE_NAMES,
    LANGUAGES,
    content_language,
    languages_in_order,
)

from booking.plaintext import has_unwanted_characters

DEFAULT_MAX_LENGTH = 10_000


def plain_text(form, field) -> None:
    if isinstance(field.data, str) and has_unwanted_characters(field.data):
        raise ValidationError(_l("Remove the invisible control or text-direction characters from this text."))


class BaseForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField):   # text, text areas, e-mail, search, hidden, passwords
                field.validators = [*field.validators, plain_text]
                if not any(isinstance(v, Length) for v in field.validators):
                    field.validators.append(Length(max=DEFAULT_MAX_LENGTH))
            return field


# --- city-written texts in every language, side by side ----------------------------------------
# The plain field (`name`) holds the content language's text; `<field>_<language>` fields hold the
# others (the form drops the content language's own). Templates: macros.in_languages.

def add_language_fields(form_class, fields: dict[str, int]) -> None:
    """Add `<field>_<language>` for every language to a form class (at import time)."""
    for name, limit in fields.items():
        kind = StringField if limit <= 300 else TextAreaField
        for language in LANGUAGES:
            setattr(form_class, f"{name}_{language}", kind(validators=[Optional(), Length(max=limit)]))


def label_languages(form, fields, labels: dict | None = None) -> None:
    """Drop the content language's extra fields; label each column 'Name · Suomi'. `labels`
    names a field whose content-language text is not on the form."""
    base = content_language()
    for name in fields:
        del form[f"{name}_{base}"]
        plain = (labels or {}).get(name) or form[name].label.text
        if name in form:
            form[name].plain_label = plain
            form[name].label.text = f"{plain} · {LANGUAGE_NAMES[base]}"
        for language in languages_in_order()[1:]:
            form[f"{name}_{language}"].label.text = f"{plain} · {LANGUAGE_NAMES[language]}"
            form[f"{name}_{language}"].plain_label = plain


def fill_translations(form, fields, translations: dict | None) -> None:
    for name in fields:
        for language in languages_in_order()[1:]:
            form[f"{name}_{language}"].data = ((translations or {}).get(language) or {}).get(name, "")


def translations_of(form, fields) -> dict:
    """{"fi": {"name": …}, "sv": {…}}: the other languages' texts as typed ('' where empty)."""
    return {language: {name: form[f"{name}_{language}"].data or "" for name in fields}
            for language in languages_in_order()[1:]}
