"""Forms of seasonal rounds: a round (managers), an application with several wish rows (added
and removed by submit buttons, without JavaScript, like the agreement form's blocks), and the
manager's hand edits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, IntegerField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking.forms import BaseForm
from booking.seasons import rules
from booking.seasons.messages import ACTOR_LABELS, AGE_LABELS, FREQUENCY_LABELS, PARITY_LABELS, WEEKDAYS

DURATIONS = [45, 60, 75, 90, 105, 120, 150, 180, 240]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value) -> int | None:
    return None if value in (None, "", "None") else int(value)


def weekday_choices():
    return [(n, label) for n, label in enumerate(WEEKDAYS)]


class WishForm(Form):
    """One wish: what for, who, when (a weekday, a window, a duration, how often) and where
    (up to three facilities, first choice first). A row left empty is left out."""
    purpose = StringField(_l("What the time is for"), filters=[_strip], validators=[Optional(), Length(max=200)],
                          description=_l("For example: junior football training."))
    age_group = SelectField(_l("Age group"), choices=[(k.value, v) for k, v in AGE_LABELS.items()], default="mixed")
    participants = IntegerField(_l("Participants"), default=10, validators=[Optional(), NumberRange(min=1, max=10000)])
    weekday = SelectField(_l("Weekday"), coerce=int, choices=weekday_choices, default=1)
    earliest = TimeField(_l("Earliest start"), validators=[Optional()])
    latest = TimeField(_l("Latest end"), validators=[Optional()])
    duration = SelectField(_l("Duration"), coerce=int, default=90,
                           choices=[(m, f"{m // 60} h {m % 60:02d} min") for m in DURATIONS])
    frequency = SelectField(_l("How often"), choices=[(k.value, v) for k, v in FREQUENCY_LABELS.items()],
                            default="weekly")
    first = SelectField(_l("First choice"), coerce=_optional_int, validators=[Optional()])
    second = SelectField(_l("Second choice"), coerce=_optional_int, validators=[Optional()])
    third = SelectField(_l("Third choice"), coerce=_optional_int, validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return not (self.purpose.data or "").strip() and self.first.data is None

    def ranked(self) -> list[int]:
        return [f.data for f in (self.first, self.second, self.third) if f.data is not None]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank:
            return ok
        for f, message in ((self.purpose, _l("Say what the time is for.")), (self.first, _l("Choose a facility.")),
                           (self.earliest, _l("Give the time.")), (self.latest, _l("Give the time."))):
            if not f.data and not f.errors:
                f.errors = list(f.errors) + [message]
                ok = False
        return ok

    def load(self, wish) -> None:
        self.purpose.data, self.age_group.data = wish.purpose, wish.age_group.value
        self.participants.data, self.weekday.data = wish.participants, wish.weekday
        self.earliest.data, self.latest.data = wish.earliest, wish.latest
        self.duration.data, self.frequency.data = wish.duration_minutes, wish.frequency.value
        ranked = [r.facility_id for r in wish.facilities] + [None, None, None]
        self.first.data, self.second.data, self.third.data = ranked[:3]


# Where a service's error about the n-th wish (`wishes.<n>.<name>`) is shown in its row.
WISH_FIELDS = {"purpose": "purpose", "weekday": "weekday", "duration_minutes": "duration", "latest": "latest",
               "participants": "participants", "facilities": "first"}


class ApplicationForm(BaseForm):
    wishes = FieldList(FormField(WishForm), label=_l("Wishes"), min_entries=1, max_entries=rules.MAX_WISHES)
    based_in_city = BooleanField(_l("Our organisation is based in the city"))
    note = TextAreaField(_l("Anything the department should know"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, facilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.wish_errors: list = []
        self.focus_row: int | None = None
        self.set_facilities(facilities)

    def set_facilities(self, facilities) -> None:
        self._choices = [(None, _l("— none —"))] + [(f.id, f.name) for f in facilities]
        for entry in self.wishes.entries:
            for f in (entry.form.first, entry.form.second, entry.form.third):
                f.choices = self._choices

    def load_wishes(self, wishes) -> None:
        while self.wishes.entries:
            self.wishes.pop_entry()
        for wish in wishes:
            self.wishes.append_entry().form.load(wish)
        if not self.wishes.entries:
            self.wishes.append_entry()
        self.set_facilities_again()

    def set_facilities_again(self) -> None:
        for entry in self.wishes.entries:
            for f in (entry.form.first, entry.form.second, entry.form.third):
                f.choices = self._choices

    def change_rows(self, formdata) -> bool:
        """The "add another wish" and "remove" buttons: the rows change and the form is shown
        again with what was typed, nothing is saved. False for any other submit."""
        if "remove_wish" in formdata:
            index = formdata.get("remove_wish", type=int)
            if index is not None and 0 <= index < len(self.wishes.entries):
                self.wishes.pop_entry(index) if index == len(self.wishes.entries) - 1 else self._remove(index)
            if not self.wishes.entries:
                self.wishes.append_entry()
            self.focus_row = min(max(index or 0, 0), len(self.wishes.entries) - 1)
            self.set_facilities_again()
            return True
        if "add_wish" in formdata:
            if len(self.wishes.entries) < rules.MAX_WISHES:
                self.wishes.append_entry()
            self.focus_row = len(self.wishes.entries) - 1
            self.set_facilities_again()
            return True
        return False

    def _remove(self, index: int) -> None:
        """Remove a middle row: the rows after it move up (their typed values with them)."""
        kept = [entry.form.data for n, entry in enumerate(self.wishes.entries) if n != index]
        while self.wishes.entries:
            self.wishes.pop_entry()
        for data in kept:
            self.wishes.append_entry(data)

    def used_rows(self) -> list[WishForm]:
        return [entry.form for entry in self.wishes.entries if not entry.form.is_blank]

    def place_wish_errors(self, field_messages: dict, rows: list[WishForm]) -> None:
        for name in [n for n in field_messages if n == "wishes" or n.startswith("wishes.")]:
            messages = [str(m) for m in field_messages.pop(name)]
            _wishes, _dot, rest = name.partition(".")
            index, _dot, part = rest.partition(".")
            if index.isdigit() and int(index) < len(rows):
                target = getattr(rows[int(index)], WISH_FIELDS.get(part, "purpose"))
                target.errors = list(target.errors) + messages
            else:
                self.wish_errors += messages


class RoundForm(BaseForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[InputRequired(), Length(max=200)],
                       description=_l("For example: Sports halls, autumn 2027."))
    department = SelectField(_l("Department"), coerce=_optional_int, validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    season_start = DateField(_l("Season starts"), validators=[InputRequired()])
    season_end = DateField(_l("Season ends"), validators=[InputRequired()])
    opens = DateField(_l("Applications open (from the start of the day)"), validators=[InputRequired()])
    closes = DateField(_l("Application deadline (until the end of the day)"), validators=[InputRequired()])
    facilities = SelectMultipleField(_l("Facilities in the round"), coerce=int, validators=[Optional()])
    cap_hours = IntegerField(_l("Cap of hours per week per organisation"), validators=[Optional(),
                             NumberRange(min=1, max=168)], description=_l("Leave empty for no cap."))
    youth_bonus = IntegerField(_l("Priority added for children's and youth activities"), default=2,
                               validators=[Optional(), NumberRange(min=0, max=10)])
    city_bonus = IntegerField(_l("Priority added for organisations based in the city"), default=1,
                              validators=[Optional(), NumberRange(min=0, max=10)])
    continuity_bonus = IntegerField(_l("Priority added for groups that had time in the previous round"), default=1,
                                    validators=[Optional(), NumberRange(min=0, max=10)])

    def actor_fields(self):
        return [getattr(self, f"weight_{key}") for key in ACTOR_LABELS]


for _key, _label in ACTOR_LABELS.items():
    setattr(RoundForm, f"weight_{_key}", IntegerField(
        _l("Priority of %(actors)s", actors=_label), default=rules.DEFAULT_PRIORITY_RULES["actor_weights"][_key],
        validators=[Optional(), NumberRange(min=1, max=10)]))


class MoveForm(BaseForm):
    facility = SelectField(_l("Facility"), coerce=int)
    weekday = SelectField(_l("Weekday"), coerce=int, choices=weekday_choices)
    start_time = TimeField(_l("Start"), validators=[InputRequired()])
    parity = SelectField(_l("Weeks"), coerce=_optional_int,
                         choices=[(None, PARITY_LABELS[None]), (0, PARITY_LABELS[0]), (1, PARITY_LABELS[1])],
                         validators=[Optional()])
