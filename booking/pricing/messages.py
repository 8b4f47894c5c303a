"""Wording of the pricing domain's coded messages (booking.formatting renders them)."""
from flask_babel import lazy_gettext as _l

from booking.accounts.forms import ACTOR_TYPE_LABELS
from booking.formatting import register

# An actor type in words, for messages that name one (`Message("actor_type.sme")`).
register({f"actor_type.{actor_type.value}": label for actor_type, label in ACTOR_TYPE_LABELS.items()})

register({
    "pricing.email.invoice_issued": _l("Invoice %(number)s from Infrashare"),
    "pricing.name_required": _l("Give the tariff a name."),
    "pricing.name_too_long": _l("Use at most %(max)s characters."),
    "pricing.valid_from_required": _l("Give the first day the tariff applies."),
    "pricing.valid_from_range": _l("The first day must be between %(first)s and %(last)s."),
    "pricing.valid_from_taken": _l("Another tariff already starts on %(date)s: change that one instead."),
    "pricing.locked_valid_from": _l("This tariff has priced reservations, so it keeps its first day "
                                    "(%(date)s). Add a new tariff to change prices from another day."),
    "pricing.unknown_unit": _l("'%(unit)s' is not a unit of this app."),
    "pricing.amount_range": _l("Give an amount in euros between 0 and the largest allowed."),
    "pricing.vat_rate_range": _l("The VAT rate is a percentage between 0 and 100."),
    "pricing.percent_range": _l("Give a percentage above 0 and at most 100."),
    "pricing.long_booking_incomplete": _l("A long-booking discount needs both the number of days and the percentage."),
    "pricing.long_booking_days_range": _l("The long-booking discount starts from 1 to %(max)s days."),
    "pricing.underused_incomplete": _l("An underused discount needs both the utilisation threshold and the percentage."),
    "pricing.underused_threshold_range": _l("The utilisation threshold is a share above 0 %% and at most 100 %%."),
    "pricing.one_late_fee": _l("A late cancellation fee is either a percentage or a fixed amount, not both."),
    "pricing.too_many_bands": _l("A tariff has at most %(max)s time bands."),
    "pricing.band_label_required": _l("Time band %(number)s needs a name of at most 80 characters."),
    "pricing.band_weekdays_required": _l("Time band %(number)s needs at least one weekday."),
    "pricing.band_times": _l("Time band %(number)s must end after it starts, within one day."),
    "pricing.band_percent_range": _l("Time band %(number)s changes the price by −100 %% to +500 %%."),
    "pricing.bands_overlap": _l("The time bands '%(first)s' and '%(second)s' overlap on a weekday."),
    "pricing.unknown_actor_type": _l("'%(actor_type)s' is not an actor type."),
    "pricing.rule_percent_range": _l("The discount for %(actor_type)s must be above 0 %% and at most 100 %%."),
    "pricing.rule_fixed_required": _l("Give the fixed price for %(actor_type)s."),
    "pricing.unknown_rule_kind": _l("'%(kind)s' is not a kind of price rule."),
    "pricing.tariff_locked": _l("This tariff has priced reservations and is kept for the record."),
    "pricing.tariff_replaced": _l("This tariff has been replaced by a newer version; change that one."),
    "pricing.naive_time": _l("Times must include a time zone offset."),
    "pricing.end_before_start": _l("The end must be after the start."),
    "pricing.too_long": _l("A price is quoted for at most %(days)s days at a time."),
    "pricing.already_invoiced": _l("This price is already on an invoice; credit the invoice first."),
    "pricing.reason_required": _l("Give the reason."),
    "pricing.reason_too_long": _l("Use at most %(max)s characters."),
    "pricing.nothing_to_invoice": _l("Nothing is waiting to be invoiced for that period."),
    "pricing.already_credited": _l("This invoice has already been credited."),
    "pricing.credit_note_not_credited": _l("A credit note cannot be credited."),
    "pricing.period_range": _l("Choose a month between %(first)s and %(last)s."),
})
