"""The base of every web form: text fields refuse what no person types on purpose (control
characters, NUL, text-direction overrides that make a name read backwards) and have a
length cap even where a form forgot one. The API's text type refuses the same characters
(booking.api.types.Text)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, ValidationError

# C0 controls except tab, newline and carriage return; DEL and C1 controls; the bidirectional
# embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
UNWANTED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNWANTED = re.compile(f"[{UNWANTED}]")
DEFAULT_MAX_LENGTH = 10_000


def has_unwanted_characters(value: str) -> bool:
    return bool(_UNWANTED.search(value))


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
