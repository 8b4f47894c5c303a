from flask_babel import lazy_gettext as _l
from booking.forms import BaseForm, add_language_fields, fill_translations, label_languages, translations_of
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, ValidationError

from booking.accounts.models import ActorType
from booking.accounts.rules import DECISION_DAYS_RANGE, MIN_PASSWORD_LENGTH, is_strong_password, is_valid_business_id

ACTOR_TYPE_LABELS = {
    ActorType.sme: _l("Small or medium-sized enterprise"),
    ActorType.startup: _l("Startup"),
    ActorType.large_company: _l("Large company"),
    ActorType.third_sector: _l("Association or other third-sector organisation"),
    ActorType.research: _l("Research or education institution"),
    ActorType.citizen_group: _l("Citizen group"),
    ActorType.public_body: _l("Public body"),
}


def strong_password(form, field):
    if not is_strong_password(field.data or ""):
        raise ValidationError(_l("Use at least %(n)d characters, with letters and at least one digit or symbol.",
                                 n=MIN_PASSWORD_LENGTH))


def valid_business_id(form, field):
    if field.data and not is_valid_business_id(field.data):
        raise ValidationError(_l("Not a valid Finnish business ID. The format is 1234567-1."))


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[InputRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class RegisterForm(BaseForm):
    """Step 1: only the address, so the answer can be the same whoever asks."""
    email = EmailField(_l("E-mail"), validators=[InputRequired(), Email(), Length(max=320)])


class RegisterDetailsForm(BaseForm):
    """Step 2, opened from the e-mailed link: the person and their organisation."""
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), strong_password],
                             description=_l("At least 10 characters, with letters and a digit or symbol."))
    confirm = PasswordField(_l("Repeat password"),
                            validators=[InputRequired(), EqualTo("password", _l("The passwords do not match."))])
    organisation_name = StringField(_l("Organisation name"), validators=[InputRequired(), Length(max=200)])
    actor_type = SelectField(_l("Type of organisation"), validators=[InputRequired()],
                             choices=[SelectChoice(t.value, label) for t, label in ACTOR_TYPE_LABELS.items()])
    business_id = StringField(_l("Business ID (Y-tunnus)"), validators=[Optional(), valid_business_id],
                              description=_l("Optional; for example 1234567-1."))
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[InputRequired(), Email(), Length(max=320)])


def _new_password_fields():
    return (PasswordField(_l("New password"), validators=[InputRequired(), strong_password]),
            PasswordField(_l("Repeat new password"),
                          validators=[InputRequired(), EqualTo("password", _l("The passwords do not match."))]))


class ResetPasswordForm(BaseForm):
    password, confirm = _new_password_fields()


class ChangePasswordForm(BaseForm):
    # Declared first so that its errors come first, in the order a person fills the form.
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    password, confirm = _new_password_fields()


class ProfileForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    locale = SelectField(_l("Language"), validators=[Optional()],
                         choices=[SelectChoice("", _l("Follow my browser")), SelectChoice("en", "English"),
                                  SelectChoice("fi", "Suomi"), SelectChoice("sv", "Svenska")])


SCOPE_LABELS = {"read": _l("Read: see what you may see"), "book": _l("Book: make and cancel your reservations"),
                "manage": _l("Manage: decide requests and manage facilities"),
                "admin": _l("Admin: administer the city, tokens included")}


class TokenForm(BaseForm):
    name = StringField(_l("Token name"), validators=[InputRequired(), Length(max=100)],
                       description=_l("For example the script or integration that will use it."))
    scopes = SelectMultipleField(_l("It may"), default=["read", "book"],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    expires_in_days = SelectField(_l("It stops working"), coerce=int, default=90,
                                  choices=[(30, _l("after 30 days")), (90, _l("after 90 days")),
                                           (365, _l("after a year")), (0, _l("when I revoke it"))])


class DepartmentForm(BaseForm):
    # Only parsing here: the range and the e-mail are checked by services.update_department,
    # so the form and the service cannot disagree.
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Length(max=320)],
                               description=_l("Where people can ask about the department's facilities."))
    decision_days = IntegerField(_l("Decision days"),
                                 validators=[InputRequired(_l("Give the number of working days."))],
                                 description=_l("Working days a manager has to decide a request"),
                                 render_kw={"min": DECISION_DAYS_RANGE[0], "max": DECISION_DAYS_RANGE[1]})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, DEPARTMENT_TEXTS, labels={"name": _l("Name")})

    def set_translations(self, department) -> None:
        fill_translations(self, DEPARTMENT_TEXTS, department.translations)

    def translations(self) -> dict:
        return translations_of(self, DEPARTMENT_TEXTS)


# The department's name in the content language is its key (CSV files name it); the other
# languages' names and every description are edited side by side.
DEPARTMENT_TEXTS = {"name": 200, "description": 2000}
add_language_fields(DepartmentForm, DEPARTMENT_TEXTS)


class EmptyForm(BaseForm):
    """A form with only the CSRF token, for buttons that change something."""


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[InputRequired()])
    confirm = BooleanField(_l("I understand that my account is deleted for good"), validators=[InputRequired()])
