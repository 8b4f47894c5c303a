"""Forms of the facility manager's pages, and the labels of categories and features."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from booking.content import content_language
from booking.forms import BaseForm, add_language_fields, fill_translations, label_languages, translations_of
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DecimalField, FloatField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, TimeField, URLField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.accounts.forms import ACTOR_TYPE_LABELS
from booking.facilities import services
from booking.facilities.models import ApprovalPolicy, FacilityStatus, LateCancellation, QuestionKind

CATEGORY_LABELS = {
    "public_space": _l("Public space"),
    "lab": _l("Lab"),
    "recreational": _l("Recreational site"),
    "venue": _l("Venue"),
    "meeting_room": _l("Meeting room"),
    "workshop": _l("Workshop"),
    "sports": _l("Sports facility"),
    "outdoor_area": _l("Outdoor area"),
}

ACCESSIBILITY_LABELS = {
    "step_free_access": _l("Step-free access"),
    "accessible_toilet": _l("Accessible toilet"),
    "induction_loop": _l("Induction loop"),
    "accessible_parking": _l("Accessible parking"),
    "lift": _l("Lift"),
    "braille_signage": _l("Braille signage"),
    "quiet_room": _l("Quiet room"),
}

AMENITY_GROUP_LABELS = {
    "technology": _l("Technology"),
    "furniture": _l("Furniture and stage"),
    "kitchen": _l("Kitchen"),
    "workshop": _l("Workshop and lab"),
    "sports": _l("Sports"),
    "outdoor": _l("Outdoors"),
    "accessibility": _l("Accessibility aids"),
    "other": _l("Other"),
}


def amenity_groups(amenities) -> list[tuple[str, object, list]]:
    """Amenities grouped in the vocabulary's order, each group sorted by name in the reader's
    language: [(group code, its label, [amenity, …]), …], empty groups left out."""
    by_group: dict[str, list] = {}
    for amenity in amenities:
        by_group.setdefault(amenity.group, []).append(amenity)
    return [(group, AMENITY_GROUP_LABELS[group], sorted(by_group[group], key=lambda a: a.t("name").casefold()))
            for group in AMENITY_GROUP_LABELS if group in by_group]


STATUS_LABELS = {
    FacilityStatus.draft: _l("Draft"),
    FacilityStatus.published: _l("Published"),
    FacilityStatus.archived: _l("Archived"),
}

APPROVAL_LABELS = {
    ApprovalPolicy.automatic: _l("Automatic: every request that keeps the rules is confirmed at once"),
    ApprovalPolicy.manual: _l("Manual: a manager decides every request"),
    ApprovalPolicy.conditional: _l("Conditional: a manager decides only for the actor types or durations below"),
}

QUESTION_KIND_LABELS = {
    QuestionKind.text: _l("Free text"),
    QuestionKind.choice: _l("One of several answers"),
    QuestionKind.yes_no: _l("Yes or no"),
}

WEEKDAY_LABELS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                  _l("Sunday"))


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes in a list: works without JavaScript and reads well with a screen reader."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def intervals(form, field):
    try:
        field.parsed = services.parse_intervals(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class FacilityForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    category = SelectField(_l("Category"), choices=list(CATEGORY_LABELS.items()), validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional()],
                                description=_l("What the place is like and what it suits."))
    address = StringField(_l("Street address"), validators=[Optional(), Length(max=300)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)],
                          description=_l("Decimal degrees, e.g. 62.2415. Shown on the map."))
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)],
                           description=_l("Decimal degrees, e.g. 25.7482."))
    capacity = IntegerField(_l("Capacity (people)"), default=0, validators=[InputRequired(), NumberRange(min=0)])
    area_m2 = DecimalField(_l("Area (m²)"), places=1, validators=[Optional(), NumberRange(min=0)])
    timezone = StringField(_l("Time zone"), default="Europe/Helsinki", validators=[InputRequired()],
                           description=_l("An IANA name such as Europe/Helsinki; hours and rules use it."))
    amenities = TextAreaField(_l("Amenities and equipment"),
                              description=_l("One per line, with how many after a colon: 'Projector: 2'."))
    accessibility = MultiCheckboxField(_l("Accessibility"), choices=list(ACCESSIBILITY_LABELS.items()))
    house_rules = TextAreaField(_l("House rules"), validators=[Optional()],
                                description=_l("Shown on the facility page before anyone books."))
    accessibility_notes = TextAreaField(_l("Accessibility notes"), validators=[Optional()],
                                        description=_l("The entrance, distances, what to ask for: what the "
                                                       "features above do not say."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, TRANSLATED_FIELDS)

    def set_translations(self, facility) -> None:
        """Fill the other languages' fields from the facility (the plain fields come from `obj`)."""
        fill_translations(self, TRANSLATED_FIELDS, facility.translations)

    def validate_amenities(self, field):
        try:
            field.parsed = services.parse_amenities(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def values(self) -> dict:
        """The form's data as services.create_facility / update_facility take it."""
        return {name: getattr(self, name).data for name in services.DETAIL_FIELDS} | {
            "description": self.description.data or "", "address": self.address.data or "",
            "district": self.district.data or "", "house_rules": self.house_rules.data or "",
            "accessibility_notes": self.accessibility_notes.data or "",
            "translations": translations_of(self, TRANSLATED_FIELDS),
            "amenities": self.amenities.parsed, "accessibility": self.accessibility.data or []}


# The texts a manager writes in every language, side by side (booking.forms.add_language_fields).
TRANSLATED_FIELDS = {"name": 200, "description": 20_000, "house_rules": 20_000, "accessibility_notes": 5_000}
add_language_fields(FacilityForm, TRANSLATED_FIELDS)


class AmenityForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    group = SelectField(_l("Group"), choices=list(AMENITY_GROUP_LABELS.items()), validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, AMENITY_TEXTS)

    def set_translations(self, amenity) -> None:
        fill_translations(self, AMENITY_TEXTS, amenity.translations)

    def names(self) -> dict[str, str]:
        """{language: name} for every language, the content language's from the plain field."""
        others = translations_of(self, AMENITY_TEXTS)
        return {content_language(): self.name.data or "", **{lang: t["name"] for lang, t in others.items()}}


AMENITY_TEXTS = {"name": 100}
add_language_fields(AmenityForm, AMENITY_TEXTS)


class StatusForm(BaseForm):
    status = SelectField(choices=[(s.value, label) for s, label in STATUS_LABELS.items()])


class OpeningHoursForm(BaseForm):
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()],
                           description=_l("These hours apply from this date until a later version starts."))
    day_0 = StringField(WEEKDAY_LABELS[0], validators=[intervals])
    day_1 = StringField(WEEKDAY_LABELS[1], validators=[intervals])
    day_2 = StringField(WEEKDAY_LABELS[2], validators=[intervals])
    day_3 = StringField(WEEKDAY_LABELS[3], validators=[intervals])
    day_4 = StringField(WEEKDAY_LABELS[4], validators=[intervals])
    day_5 = StringField(WEEKDAY_LABELS[5], validators=[intervals])
    day_6 = StringField(WEEKDAY_LABELS[6], validators=[intervals])

    @property
    def days(self):
        return [getattr(self, f"day_{d}") for d in range(7)]

    def week(self) -> dict:
        return {d: field.parsed for d, field in enumerate(self.days) if field.parsed}


class ClosureForm(BaseForm):
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Leave empty for a single day."))
    start_time = TimeField(_l("From"), validators=[Optional()],
                           description=_l("Leave both times empty to close whole days."))
    end_time = TimeField(_l("Until"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=300)])


class IcalImportForm(BaseForm):
    file = FileField(_l("iCalendar file (.ics)"))
    url = URLField(_l("or the calendar's address (URL)"), validators=[Optional(), Length(max=2000)],
                   description=_l("http or https; the calendar is read once now. Import again to update it."))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not self.url.data:
            self.file.errors = [_l("Choose a file or give an address.")]
            return False
        return True


class CalendarSyncForm(BaseForm):
    url = URLField(_l("The calendar's address (URL)"), validators=[InputRequired(), Length(max=2000)],
                   description=_l("http or https. It is read now and then every few hours; its events replace the "
                                  "imported closures."))


class SpecialOpeningForm(BaseForm):
    date = DateField(_l("Date"), validators=[InputRequired()])
    hours = StringField(_l("Opening hours that day"), validators=[InputRequired(), intervals],
                        description=_l("For example 10:00-14:00, or 09:00-12:00, 18:00-23:00."))
    reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=300)])


class RulesForm(BaseForm):
    slot_minutes = IntegerField(_l("Slot grid (minutes)"), validators=[InputRequired()],
                                description=_l("Bookings start and end on this grid, e.g. 15, 30 or 60."))
    min_duration_minutes = IntegerField(_l("Minimum duration (minutes)"), validators=[InputRequired()])
    max_duration_minutes = IntegerField(_l("Maximum duration (minutes)"), validators=[Optional()],
                                        description=_l("Empty for no maximum. 8 h = 480, 1 day = 1440, "
                                                       "60 days = 86400."))
    min_notice_minutes = IntegerField(_l("Minimum notice (minutes)"), validators=[InputRequired()],
                                      description=_l("How long before the start a booking must be made; "
                                                     "1 day = 1440."))
    max_advance_days = IntegerField(_l("Bookable how far ahead (days)"), validators=[InputRequired()])
    buffer_before_minutes = IntegerField(_l("Buffer before (minutes)"), validators=[InputRequired()],
                                         description=_l("Kept free before each booking, e.g. for setting up."))
    buffer_after_minutes = IntegerField(_l("Buffer after (minutes)"), validators=[InputRequired()],
                                        description=_l("Kept free after each booking, e.g. for cleaning."))
    allow_multi_day = BooleanField(_l("Allow bookings over several days (for example pilots)"))
    max_active_per_organisation = IntegerField(_l("Active reservations per organisation at most"),
                                               validators=[Optional()], description=_l("Empty for no quota."))
    approval_policy = RadioField(_l("Approval"), choices=[(p.value, label) for p, label in APPROVAL_LABELS.items()],
                                 validators=[InputRequired()])
    manual_actor_types = MultiCheckboxField(_l("A manager decides for these actor types"),
                                            choices=[(t.value, label) for t, label in ACTOR_TYPE_LABELS.items()])
    manual_above_minutes = IntegerField(_l("A manager decides bookings longer than (minutes)"),
                                        validators=[Optional()])
    cancellation_deadline_hours = IntegerField(_l("Free cancellation until (hours before the start)"),
                                               validators=[InputRequired()])
    late_cancellation = RadioField(_l("After that"), validators=[InputRequired()],
                                   choices=[(LateCancellation.refuse.value, _l("Cancelling is refused")),
                                            (LateCancellation.fee.value, _l("Cancelling costs a fee"))])

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.RULE_FIELDS}


class TermsForm(BaseForm):
    text = TextAreaField(_l("Terms of use"), validators=[InputRequired()],
                         description=_l("Bookers accept these when they book. Saving changed text makes a new "
                                        "version; earlier bookings keep the version they accepted."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, TERMS_TEXTS)

    def set_translations(self, terms) -> None:
        fill_translations(self, TERMS_TEXTS, terms.translations)

    def translations(self) -> dict:
        return translations_of(self, TERMS_TEXTS)


TERMS_TEXTS = {"text": 20_000}
add_language_fields(TermsForm, TERMS_TEXTS)


class QuestionForm(BaseForm):
    label = StringField(_l("Question"), validators=[InputRequired(), Length(max=300)])
    kind = SelectField(_l("Answer"), choices=[(k.value, label) for k, label in QUESTION_KIND_LABELS.items()])
    choices = TextAreaField(_l("Answers to choose from"), validators=[Optional()],
                            description=_l("One per line; only for 'One of several answers'."))
    required = BooleanField(_l("An answer is required"))
    position = IntegerField(_l("Position"), validators=[Optional()],
                            description=_l("Questions are asked in this order."))
    active = BooleanField(_l("Asked on the booking form"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, QUESTION_TEXTS)

    def set_translations(self, question) -> None:
        fill_translations(self, QUESTION_TEXTS, question.translations)

    def values(self) -> dict:
        return {"label": self.label.data, "kind": self.kind.data, "required": self.required.data,
                "choices": (self.choices.data or "").splitlines(),
                "translations": translations_of(self, QUESTION_TEXTS)}


QUESTION_TEXTS = {"label": 300, "choices": 2000}
add_language_fields(QuestionForm, QUESTION_TEXTS)


class PhotoForm(BaseForm):
    photo = FileField(_l("Photo"), description=_l("JPEG, PNG, WebP or GIF. Large photos are made smaller."))
    alt_text = StringField(_l("Description for screen readers"), validators=[InputRequired(), Length(max=300)],
                           description=_l("What the photo shows, e.g. 'The hall set up with 80 chairs'."))


class PhotoEditForm(BaseForm):
    alt_text = StringField(_l("Description"), validators=[InputRequired(), Length(max=300)])
    position = IntegerField(_l("Position"), validators=[Optional()])


class CsvImportForm(BaseForm):
    file = FileField(_l("CSV file"))
    check_only = BooleanField(_l("Only check the file; import nothing"))

    def validate_file(self, field):
        if not field.data:
            raise ValidationError(_l("Choose a CSV file."))
