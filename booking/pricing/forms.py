"""Forms of the pricing pages: a tariff (with its bands and actor-type rules), issuing a
month's invoices, a credit note, a period. Amounts are entered in euros and become cents."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from booking.forms import BaseForm, add_language_fields, fill_translations, label_languages, translations_of
from wtforms import (BooleanField, DateField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField,
                     RadioField, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.accounts.forms import ACTOR_TYPE_LABELS
from booking.accounts.models import ActorType
from booking.pricing.quote import to_cents
from booking.pricing.services import TariffInput
from booking.pricing.terms import ActorRule, Band, TariffTerms

UNIT_LABELS = {
    "per_30_min": _l("per 30 minutes"),
    "per_hour": _l("per hour"),
    "per_half_day": _l("per half day (before or after noon)"),
    "per_day": _l("per day"),
    "per_week": _l("per week"),
    "per_booking": _l("per booking (fixed)"),
}
WEEKDAY_LABELS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]
RULE_LABELS = {"": _l("List price"), "percent": _l("Percentage off"), "fixed": _l("Fixed price per unit"),
               "free": _l("Free of charge")}
BAND_ROWS = 3      # empty band rows offered besides the tariff's own (no script needed)
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
MAX_EUROS = Decimal(10_000_000)


def _cents(value) -> int | None:
    return None if value is None else to_cents(Decimal(value) * 100)


def _euros(cents) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def minute_of(text: str) -> int:
    """'17:30' → 1050; '24:00' → 1440."""
    match = _TIME.match(text.strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(text)
    return int(match.group(1)) * 60 + int(match.group(2))


def time_of(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _valid_time(form, field):
    if field.data and field.data.strip():
        try:
            minute_of(field.data)
        except ValueError:
            raise ValidationError(_l("Write the time as 17:00 (24:00 is midnight at the end of the day).")) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BandForm(Form):
    label = StringField(_l("Name"), validators=[Optional(), Length(max=80)])
    weekdays = MultiCheckboxField(_l("Weekdays"), coerce=int, choices=list(enumerate(WEEKDAY_LABELS)),
                                  validate_choice=False)
    start = StringField(_l("From"), validators=[_valid_time])
    end = StringField(_l("Until"), validators=[_valid_time])
    percent = DecimalField(_l("Price change (%)"), places=2, validators=[Optional()],
                           description=_l("+20 makes it dearer, −30 cheaper."))

    @property
    def is_blank(self) -> bool:
        return not (self.label.data or "").strip() and self.percent.data is None

    def band(self) -> Band:
        return Band(self.label.data or "", frozenset(self.weekdays.data or ()), minute_of(self.start.data or "0:00"),
                    minute_of(self.end.data or "0:00"), self.percent.data if self.percent.data is not None
                    else Decimal(0))


class RuleForm(Form):
    actor_type = HiddenField()
    kind = SelectField(_l("Rule"), choices=list(RULE_LABELS.items()), default="")
    percent = DecimalField(_l("Discount (%)"), places=2, validators=[Optional()])
    amount = DecimalField(_l("Fixed price (€)"), places=2, validators=[Optional(), NumberRange(min=0, max=MAX_EUROS)])

    def rule(self) -> ActorRule | None:
        kind = self.kind.data
        if not kind:
            return None
        return ActorRule(kind, self.percent.data if kind == "percent" else None,
                         _cents(self.amount.data) if kind == "fixed" else None)


def _euro_field(label, description=None, required=False):
    validators = [InputRequired() if required else Optional(), NumberRange(min=0, max=MAX_EUROS)]
    return DecimalField(label, places=2, validators=validators, description=description)


class TariffForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)],
                       description=_l("For example 'Standard 2031'."))
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()],
                           description=_l("Reservations starting on or after this day are priced by this tariff."))
    unit = SelectField(_l("Unit"), choices=list(UNIT_LABELS.items()), default="per_hour")
    price = _euro_field(_l("Base price (€)"), required=True)
    prices_include_vat = RadioField(_l("The prices entered here"), default="yes",
                                    choices=[("yes", _l("include VAT")), ("no", _l("do not include VAT (VAT is added)"))])
    vat_rate = DecimalField(_l("VAT rate (%)"), places=2, validators=[InputRequired(), NumberRange(min=0, max=100)])
    min_charge = _euro_field(_l("Minimum charge (€)"), _l("A paid booking costs at least this."))
    deposit = _euro_field(_l("Deposit (€)"), _l("Refundable; collected apart from the price."))
    long_booking_min_days = IntegerField(_l("Long-booking discount from (days)"),
                                         validators=[Optional(), NumberRange(min=1, max=366)])
    long_booking_percent = DecimalField(_l("Long-booking discount (%)"), places=2, validators=[Optional()])
    underused_threshold = DecimalField(_l("Underused below utilisation (%)"), places=1, validators=[Optional()],
                                       description=_l("The discount applies while the facility's utilisation over "
                                                      "the last 28 days is below this."))
    underused_percent = DecimalField(_l("Underused discount (%)"), places=2, validators=[Optional()])
    late_fee = RadioField(_l("Cancelling after the deadline costs"), default="none",
                          choices=[("none", _l("nothing")), ("percent", _l("a share of the price")),
                                   ("fixed", _l("a fixed fee (never more than the price)"))])
    late_fee_percent = DecimalField(_l("Share of the price (%)"), places=2, validators=[Optional()])
    late_fee_amount = _euro_field(_l("Fixed fee (€)"))
    invoice_each_reservation = BooleanField(_l("Invoice each reservation on its own (instead of monthly)"))
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS)
    rules = FieldList(FormField(RuleForm), min_entries=len(ActorType))

    # Where a service's field error belongs on this form.
    FIELD_NAMES = {"base_price_cents": "price", "min_charge_cents": "min_charge", "deposit_cents": "deposit",
                   "late_fee_cents": "late_fee_amount"}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Optional() ends a blank field's checks, so the chosen fee's amount is checked here.
        for kind, field, message in (("percent", self.late_fee_percent, _l("Give the share of the price.")),
                                     ("fixed", self.late_fee_amount, _l("Give the fixed fee."))):
            if self.late_fee.data == kind and field.data is None:
                field.errors = list(field.errors) + [message]
                ok = False
        return ok

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, TARIFF_TEXTS)

    def fill_rules(self) -> None:
        """One rule row per actor type, in a fixed order, each knowing its actor type."""
        for entry, actor_type in zip(self.rules.entries, ActorType):
            entry.form.actor_type.data = actor_type.value
            entry.form.kind.label.text = ACTOR_TYPE_LABELS[actor_type]

    def load(self, tariff) -> None:
        """Show a tariff's values (for editing, or as the start of a new one)."""
        self.name.data, self.valid_from.data, self.unit.data = tariff.name, tariff.valid_from, tariff.unit.value
        fill_translations(self, TARIFF_TEXTS, tariff.translations)
        self.price.data = _euros(tariff.base_price_cents)
        self.prices_include_vat.data = "yes" if tariff.prices_include_vat else "no"
        self.vat_rate.data = tariff.vat_rate
        self.min_charge.data, self.deposit.data = _euros(tariff.min_charge_cents), _euros(tariff.deposit_cents)
        self.long_booking_min_days.data = tariff.long_booking_min_days
        self.long_booking_percent.data = tariff.long_booking_percent
        self.underused_threshold.data = (None if tariff.underused_threshold is None
                                         else Decimal(tariff.underused_threshold) * 100)
        self.underused_percent.data = tariff.underused_percent
        self.late_fee.data = ("percent" if tariff.late_fee_percent is not None
                              else "fixed" if tariff.late_fee_cents is not None else "none")
        self.late_fee_percent.data, self.late_fee_amount.data = tariff.late_fee_percent, _euros(tariff.late_fee_cents)
        self.invoice_each_reservation.data = tariff.invoice_each_reservation
        while len(self.bands.entries):
            self.bands.pop_entry()
        for band in tariff.bands:
            self.bands.append_entry({"label": band.label, "weekdays": list(band.weekdays),
                                     "start": time_of(band.start_minute), "end": time_of(band.end_minute),
                                     "percent": band.percent})
        for _ in range(BAND_ROWS):
            self.bands.append_entry()
        rules = {r.actor_type.value: r for r in tariff.rules}
        for entry, actor_type in zip(self.rules.entries, ActorType):
            rule = rules.get(actor_type.value)
            entry.form.kind.data = rule.kind.value if rule else ""
            entry.form.percent.data = rule.percent if rule else None
            entry.form.amount.data = _euros(rule.fixed_cents) if rule else None

    def tariff_input(self) -> TariffInput:
        late = self.late_fee.data
        threshold = self.underused_threshold.data
        terms = TariffTerms(
            unit=self.unit.data, base_price_cents=_cents(self.price.data), vat_rate=self.vat_rate.data,
            prices_include_vat=self.prices_include_vat.data == "yes",
            min_charge_cents=_cents(self.min_charge.data) or 0, deposit_cents=_cents(self.deposit.data) or 0,
            bands=tuple(entry.form.band() for entry in self.bands.entries if not entry.form.is_blank),
            rules={entry.form.actor_type.data: rule for entry in self.rules.entries
                   if (rule := entry.form.rule()) is not None},
            long_booking_min_days=self.long_booking_min_days.data, long_booking_percent=self.long_booking_percent.data,
            underused_threshold=None if threshold is None else (Decimal(threshold) / 100).quantize(Decimal("0.001")),
            underused_percent=self.underused_percent.data,
            late_fee_percent=self.late_fee_percent.data if late == "percent" else None,
            late_fee_cents=_cents(self.late_fee_amount.data) if late == "fixed" else None)
        return TariffInput(self.name.data or "", self.valid_from.data, terms, bool(self.invoice_each_reservation.data),
                           translations=translations_of(self, TARIFF_TEXTS))

    def clear_name(self) -> None:
        """A new tariff started from another: its name is to be written anew, in every language."""
        self.name.data = ""
        fill_translations(self, TARIFF_TEXTS, {})


# The tariff's name in every language, side by side (booking.forms.add_language_fields).
TARIFF_TEXTS = {"name": 200}
add_language_fields(TariffForm, TARIFF_TEXTS)


class IssueForm(BaseForm):
    month = StringField(_l("Month"), validators=[InputRequired()], description=_l("As 2031-01."))

    def validate_month(self, field):
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", (field.data or "").strip()):
            raise ValidationError(_l("Write the month as 2031-01."))

    @property
    def year_month(self) -> tuple[int, int]:
        year, month = self.month.data.strip().split("-")
        return int(year), int(month)


class CreditForm(BaseForm):
    reason = TextAreaField(_l("Reason for the credit note"), validators=[InputRequired(), Length(max=2000)])


class PeriodForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: it only reads

    first = DateField(_l("From"), validators=[InputRequired()])
    last = DateField(_l("To"), validators=[InputRequired()])

    def validate_last(self, field):
        if self.first.data and field.data and field.data < self.first.data:
            raise ValidationError(_l("The end must not be before the start."))
        if self.first.data and field.data and (field.data - self.first.data).days > 3 * 366:
            raise ValidationError(_l("Choose at most three years at a time."))


class ReportForm(PeriodForm):
    group_by = SelectField(_l("Per"), default="facility", choices=[
        ("facility", _l("facility")), ("department", _l("department")), ("actor_type", _l("actor type"))])


def first_of_month(day: date) -> date:
    return day.replace(day=1)
