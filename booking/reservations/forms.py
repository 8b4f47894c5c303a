"""Forms of the booking flow, series, cancelling and changing, and the managers' decisions.

The facility's extra questions become fields named `question_<id>`, the names the rule
check gives its findings, so a service's reason lands on the right field.
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from booking.forms import BaseForm
from wtforms import (BooleanField, DateField, DecimalField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField, TimeField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from booking.reservations.recurrence import MAX_OCCURRENCES

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

REPEAT_CHOICES = [SelectChoice("", _l("Does not repeat")), SelectChoice("weekly", _l("Weekly")),
                  SelectChoice("monthly", _l("Monthly, on the same weekday (for example every 2nd Tuesday)"))]

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]

SCOPE_CHOICES = [SelectChoice("one", _l("Only this one")),
                 SelectChoice("following", _l("This one and the following ones")),
                 SelectChoice("all", _l("The whole series"))]


class RepeatForm(BaseForm):
    """The choose step's "Repeat" option: which rule, and until when."""
    repeat = SelectField(_l("Repeat"), choices=REPEAT_CHOICES, default="", id="repeat-frequency")
    interval = IntegerField(_l("Every how many weeks or months"), default=1, id="repeat-interval",
                            validators=[Optional(), NumberRange(min=1, max=52)],
                            description=_l("1 is every week (or month), 2 every other one, and so on."))
    count = IntegerField(_l("Number of times"), id="repeat-count",
                         validators=[Optional(), NumberRange(min=2, max=MAX_OCCURRENCES)],
                         description=_l("Give a number of times or a last date."))
    until = DateField(_l("Last date"), id="repeat-until", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.repeat.data and self.count.data is None and self.until.data is None and not self.count.errors:
            self.count.errors.append(_l("Say how many times it repeats, or give a last date."))
            return False
        if self.repeat.data and self.count.data is not None and self.until.data is not None:
            self.count.errors.append(_l("Give either a number of times or a last date, not both."))
            return False
        return valid

    def params(self) -> dict:
        """The repeat choice as query parameters (the series preview's URL carries them)."""
        values = {"repeat": self.repeat.data, "interval": self.interval.data or 1, "count": self.count.data,
                  "until": self.until.data.isoformat() if self.until.data else None}
        return {k: v for k, v in values.items() if v not in (None, "")}


def build_rrule(repeat: str, interval: int, first: date, *, count: int | None = None,
                until: date | None = None) -> str:
    """An RFC 5545 RRULE for the form's choice; `first` is the first occurrence's local date.

    Monthly repeats on the same weekday of the month as the first date: the 2nd Tuesday,
    or the last Friday when the first date is in the month's fifth week.
    """
    parts = [f"FREQ={'WEEKLY' if repeat == 'weekly' else 'MONTHLY'}"]
    if interval and interval > 1:
        parts.append(f"INTERVAL={interval}")
    if repeat == "monthly":
        nth = (first.day - 1) // 7 + 1
        parts.append(f"BYDAY={-1 if nth == 5 else nth}{WEEKDAY_CODES[first.weekday()]}")
    parts.append(f"COUNT={count}" if count else f"UNTIL={until.strftime('%Y%m%d')}")
    return ";".join(parts)


class MultiDayForm(BaseForm):
    """A start and an end on different days, for facilities that allow multi-day bookings."""
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[InputRequired()])
    end_time = TimeField(_l("End time"), validators=[InputRequired()])


class DetailsForm(BaseForm):
    title = StringField(_l("Title"), filters=[lambda value: value.strip() if isinstance(value, str) else value],
                        validators=[DataRequired(message=_l("Give the reservation a title.")), Length(max=200)],
                        description=_l("A short name for the event, shown to the facility's managers."))
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)],
                            description=_l("What will you do there? This helps the managers decide."))
    attendees = IntegerField(_l("Expected attendees"), default=1,
                             validators=[InputRequired(), NumberRange(min=1, message=_l("At least 1 person."))])
    free_of_charge_reason = TextAreaField(
        _l("Ask for free use (optional)"), validators=[Optional(), Length(max=2000)],
        description=_l("If your use serves the public good, say why it should be free of charge. A manager then "
                       "decides the price, so the booking waits for their decision. Leave it empty to pay the "
                       "price shown."))

    @property
    def question_fields(self):
        return [f for f in self if f.name.startswith("question_")]

    def answers(self) -> dict[str, object]:
        return {f.name.removeprefix("question_"): f.data for f in self.question_fields if f.data not in (None, "")}


def details_form(facility, *, with_terms: bool = False, **kwargs) -> DetailsForm:
    """The details form with a field for each of the facility's active questions (and the
    terms checkbox, for a series, which is booked from one page)."""

    class FacilityDetailsForm(DetailsForm):
        pass

    if facility.capacity:
        FacilityDetailsForm.attendees = IntegerField(
            _l("Expected attendees"), default=1, validators=[InputRequired(), NumberRange(
                min=1, max=facility.capacity, message=_l("From 1 to %(max)s people: the facility holds %(max)s."))])


    for question in facility.questions:
        if not question.active:
            continue
        validators = ([InputRequired(message=_l("Please answer this question."))] if question.required
                      else [Optional()])
        kind = question.kind.value
        if kind == "choice":
            # The answer kept is the content language's; the reader sees their language's.
            choices = [SelectChoice("", _l("Choose…"))] + [
                SelectChoice(c, label) for c, label in zip(question.choices or [], question.choice_labels())]
            field = SelectField(question.t("label"), validators=validators, choices=choices)
        elif kind == "yes_no":
            field = RadioField(question.t("label"), validators=validators, choices=YES_NO)
        else:
            field = StringField(question.t("label"), validators=validators + [Length(max=2000)])
        setattr(FacilityDetailsForm, f"question_{question.id}", field)
    if with_terms:  # made last, so it comes last in the error summary too
        FacilityDetailsForm.accept_terms = BooleanField(_l("I accept the terms"))
    return FacilityDetailsForm(**kwargs)


class TermsForm(BaseForm):
    accept_terms = BooleanField(_l("I accept the terms"))


class CancelForm(BaseForm):
    scope = RadioField(_l("What to cancel"), default="one", choices=SCOPE_CHOICES)
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)],
                           description=_l("Helps the facility's managers plan; it is kept with the reservation."))


class ChangeTimeForm(BaseForm):
    scope = RadioField(_l("What to change"), default="one", choices=SCOPE_CHOICES)
    date = DateField(_l("Date"), validators=[InputRequired()],
                     description=_l("For several occurrences, each keeps its own date and gets the new times."))
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[Optional()],
                         description=_l("Only for a reservation that ends on a later day."))
    end_time = TimeField(_l("End time"), validators=[InputRequired()])


class ApproveForm(BaseForm):
    internal_note = TextAreaField(_l("Internal note (optional)"), id="approve-note",
                                  validators=[Optional(), Length(max=5000)],
                                  description=_l("Seen only by the facility's managers."))
    decided_price = DecimalField(_l("Price you decide, in euros with VAT (optional)"), id="approve-price",
                                 places=2, validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                                 description=_l("For a request for free use: 0 makes it free; empty keeps the "
                                                "quoted price."))

    @property
    def decided_price_cents(self) -> int | None:
        return None if self.decided_price.data is None else int(self.decided_price.data * 100)


class RejectForm(BaseForm):
    reason = TextAreaField(_l("Reason for declining"), id="reject-reason",
                           validators=[InputRequired(message=_l("Give a reason; it is sent to the booker.")),
                                       Length(max=2000)],
                           description=_l("Sent to the booker: say why, and what they could do instead."))
    internal_note = TextAreaField(_l("Internal note (optional)"), id="reject-note",
                                  validators=[Optional(), Length(max=5000)],
                                  description=_l("Seen only by the facility's managers."))


class ReturnForm(BaseForm):
    internal_note = TextAreaField(_l("Internal note (optional)"), id="return-note",
                                  validators=[Optional(), Length(max=5000)],
                                  description=_l("Why the decision is taken back; seen only by managers."))


class BlockForm(BaseForm):
    """An internal block: time the facility is used by the city or kept for maintenance."""
    title = StringField(_l("What is it"), id="block-title", validators=[InputRequired(), Length(max=200)],
                        description=_l("For example: Maintenance, or City event."))
    start_date = DateField(_l("Start date"), id="block-start-date", validators=[InputRequired()])
    start_time = TimeField(_l("Start time"), id="block-start-time", validators=[InputRequired()])
    end_date = DateField(_l("End date"), id="block-end-date", validators=[Optional()],
                         description=_l("Leave empty if it ends on the start date."))
    end_time = TimeField(_l("End time"), id="block-end-time", validators=[InputRequired()])
    internal_note = TextAreaField(_l("Internal note (optional)"), id="block-note",
                                  validators=[Optional(), Length(max=5000)])
