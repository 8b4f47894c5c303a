"""The base of every web form: text fields refuse what no person types on purpose (control
characters, NUL, text-direction overrides that make a name read backwards) and have a
length cap even where a form forgot one. The character rule is booking.plaintext's, which the
API's text type uses too."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, ValidationError

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
