"""The form that registers a webhook: whose events, where, and which."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from booking.facilities.forms import MultiCheckboxField
from booking.forms import BaseForm
from booking.webhooks import rules
from booking.webhooks.messages import EVENT_LABELS

CITY_WIDE = "city"


class WebhookForm(BaseForm):
    # "city" or an organisation's id; the view offers what the user may choose, the service decides.
    scope = SelectField(_l("Whose events"), validators=[InputRequired()])
    url = StringField(_l("Address (https://…)"), validators=[InputRequired(), Length(max=2000)],
                      description=_l("We POST each event there as signed JSON. It must be on the public internet."))
    events = MultiCheckboxField(_l("Events"), choices=[SelectChoice(e, EVENT_LABELS[e]) for e in rules.EVENT_TYPES],
                                default=list(rules.EVENT_TYPES))
    description = StringField(_l("Description (optional)"), validators=[Length(max=200)])

    def organisation_id(self) -> int | None:
        return None if self.scope.data == CITY_WIDE else int(self.scope.data)
