"""Wording of the statistics domain's coded messages (booking.formatting renders them)."""
from flask_babel import lazy_gettext as _l

from booking.formatting import register

register({
    "stats.period_reversed": _l("The period must end on or after its first day."),
    "stats.period_too_long": _l("Choose at most three years, or at most one year day by day."),
})
