"""The public search forms: catalogue filters and find-a-time. They are GET forms (a search is
a link anyone can share or bookmark), so they read the query string and carry no CSRF token."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, SelectField, StringField
from wtforms.fields import DateField, IntegerField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from booking.database import MAX_INT
from booking.facilities.forms import ACCESSIBILITY_LABELS, CATEGORY_LABELS, MultiCheckboxField
from booking.facilities.models import ACCESSIBILITY_FEATURES, CATEGORIES
from booking.facilities.search import FIRST_DATE, LAST_DATE

# Durations a search offers, in minutes (the URL carries minutes).
DURATION_CHOICES = [
    (30, _l("30 minutes")), (60, _l("1 hour")), (90, _l("1 hour 30 minutes")), (120, _l("2 hours")),
    (180, _l("3 hours")), (240, _l("4 hours")), (300, _l("5 hours")), (360, _l("6 hours")),
    (480, _l("8 hours")), (720, _l("12 hours")), (1440, _l("1 day")), (2 * 1440, _l("2 days")),
    (3 * 1440, _l("3 days")), (7 * 1440, _l("1 week")), (14 * 1440, _l("2 weeks")),
]

SORT_CHOICES = [("name", _l("Name")), ("capacity", _l("Capacity, smallest first")),
                ("capacity_desc", _l("Capacity, largest first")), ("least_used", _l("Least used first"))]

MAX_FIND_DAYS = 31


def category_label(code: str) -> str:
    """The label of a category; a code added later without a label still reads well."""
    return CATEGORY_LABELS.get(code) or code.replace("_", " ").capitalize()


def accessibility_label(code: str) -> str:
    return ACCESSIBILITY_LABELS.get(code) or code.replace("_", " ").capitalize()


class CheckboxesField(MultiCheckboxField):
    def pre_validate(self, form):
        pass  # options come from the data; an unknown value simply matches nothing


def plausible_date(form, field):
    if field.data and not FIRST_DATE <= field.data <= LAST_DATE:
        raise ValidationError(_l("Choose a date between %(first)s and %(last)s.", first=FIRST_DATE.isoformat(),
                                 last=LAST_DATE.isoformat()))


def _minutes(value):
    return int(value) if value not in (None, "") else None


class SearchWhenMixin:
    """When and for how many: what travels on to a facility's page, pre-filled there."""
    date = DateField(_l("Date"), validators=[Optional(), plausible_date])
    time = TimeField(_l("From (time)"), validators=[Optional()])
    duration = SelectField(_l("For how long"), coerce=_minutes, validators=[Optional()],
                           choices=[("", _l("Any length"))] + DURATION_CHOICES, validate_choice=False)
    size = IntegerField(_l("People"), validators=[Optional(), NumberRange(min=1, max=100000)],
                        description=_l("The facility must take at least this many people."))


def _optional_choices(labels: dict[str, object], any_label) -> list:
    return [("", any_label)] + [(code, label) for code, label in labels.items()]


class CatalogueForm(SearchWhenMixin, Form):
    q = StringField(_l("Name contains"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), choices=_optional_choices(
        {code: category_label(code) for code in CATEGORIES}, _l("Any category")), validate_choice=False)
    department = SelectField(_l("Department"), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)
    amenity = CheckboxesField(_l("Amenities and equipment"))
    accessibility = CheckboxesField(_l("Accessibility"),
                                    choices=[(c, accessibility_label(c)) for c in ACCESSIBILITY_FEATURES])
    sort = SelectField(_l("Sort by"), choices=SORT_CHOICES, default="name")
    free = BooleanField(_l("Only places free then"),
                        description=_l("With a date: only places with free time then (for the time and length given)."))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_INT)])


class FrontSearchForm(SearchWhenMixin, Form):
    """The front page's search: what, when and for how many. It sends the catalogue's own
    parameters, so its results are the catalogue's, with each place's first free time."""
    q = StringField(_l("What are you looking for?"), validators=[Optional(), Length(max=100)],
                    description=_l("A word from the name, for example hall, lab or sauna."))
    category = SelectField(_l("Kind of place"), choices=_optional_choices(
        {code: category_label(code) for code in CATEGORIES}, _l("Any kind")), validate_choice=False)
    free = BooleanField(_l("Only places free then"), default=True)


class FindTimeForm(Form):
    date_from = DateField(_l("From date"), validators=[InputRequired(), plausible_date])
    date_to = DateField(_l("To date"), validators=[InputRequired(), plausible_date],
                        description=_l("At most %(days)d days after the first date.", days=MAX_FIND_DAYS))
    duration = SelectField(_l("For how long"), coerce=int, choices=DURATION_CHOICES, default=180,
                           validators=[InputRequired()])
    size = IntegerField(_l("People"), validators=[Optional(), NumberRange(min=1, max=100000)])
    earliest = TimeField(_l("Not before (time of day)"), validators=[Optional()])
    latest = TimeField(_l("Finished by (time of day)"), validators=[Optional()])
    category = SelectField(_l("Category"), choices=_optional_choices(
        {code: category_label(code) for code in CATEGORIES}, _l("Any category")), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_INT)])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The last date cannot be before the first date."))
            if field.data - self.date_from.data > timedelta(days=MAX_FIND_DAYS):
                raise ValidationError(_l("Search at most %(days)d days at a time.", days=MAX_FIND_DAYS))
