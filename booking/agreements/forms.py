"""Forms of pilot agreements, challenges, reviews, acceptance, outcome reports and templates."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from booking.forms import BaseForm, add_language_fields, fill_translations, label_languages, translations_of
from wtforms import (BooleanField, DateField, DecimalField, FieldList, Form, FormField, HiddenField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking.agreements.messages import (BLOCK_ORDER, IP_LABELS, LIABILITY_LABELS, PUBLICITY_LABELS,
                                         RECOMMENDATION_LABELS)
from booking.agreements.rules import MAX_BLOCKS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def euros_to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _facility_id(value) -> int | None:
    return None if value in (None, "", "None") else int(value)


class BlockForm(Form):
    """One row of facility time: a facility from a day and time until a day and time. A row left
    empty is left out."""
    facility = SelectField(_l("Facility"), coerce=_facility_id, validators=[Optional()])
    start_date = DateField(_l("Facility time from (date)"), validators=[Optional()])
    start_time = TimeField(_l("from (time)"), validators=[Optional()])
    end_date = DateField(_l("until (date)"), validators=[Optional()])
    end_time = TimeField(_l("until (time)"), validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return self.facility.data is None and not any(
            (f.raw_data or [""])[0].strip() for f in (self.start_date, self.start_time, self.end_date, self.end_time))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank:
            return ok
        for f, message in ((self.facility, _l("Choose the facility.")), (self.start_date, _l("Give the date.")),
                           (self.start_time, _l("Give the time.")), (self.end_date, _l("Give the date.")),
                           (self.end_time, _l("Give the time."))):
            if f.data is None and not f.errors:
                f.errors = list(f.errors) + [message]
                ok = False
        if ok and datetime.combine(self.end_date.data, self.end_time.data) <= datetime.combine(
                self.start_date.data, self.start_time.data):
            self.end_date.errors = list(self.end_date.errors) + [BLOCK_ORDER]
            ok = False
        return ok

    def load(self, block) -> None:
        """Show an agreement's block in its facility's local time."""
        zone = ZoneInfo(block.facility.timezone)
        start, end = block.start_dt.astimezone(zone), block.end_dt.astimezone(zone)
        self.facility.data = block.facility_id
        self.start_date.data, self.start_time.data = start.date(), start.time()
        self.end_date.data, self.end_time.data = end.date(), end.time()


# Where a service's error about the n-th block (`blocks.<n>.<name>`) is shown in its row.
BLOCK_FIELDS = {"facility_id": "facility", "start": "start_date", "end": "end_date"}


class AgreementForm(BaseForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[InputRequired(), Length(max=200)])
    need = TextAreaField(_l("The need it answers"), validators=[Optional(), Length(max=5000)],
                         description=_l("Without a challenge: which city need or problem the pilot addresses."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    start_date = DateField(_l("First day of the pilot"), validators=[InputRequired()])
    end_date = DateField(_l("Last day of the pilot"), validators=[InputRequired()])
    partners = SelectMultipleField(_l("Partner organisations"), coerce=int, validators=[Optional()],
                                   description=_l("Each partner accepts the agreement too."))
    blocks = FieldList(FormField(BlockForm), label=_l("Facility time"), min_entries=1, max_entries=MAX_BLOCKS)
    kpis = TextAreaField(_l("Success criteria (KPIs)"), validators=[Optional(), Length(max=10000)])
    data_collected = TextAreaField(_l("Data collected"), validators=[Optional(), Length(max=10000)])
    data_legal_basis = StringField(_l("Legal basis for the data"), validators=[Optional(), Length(max=2000)])
    data_users = StringField(_l("Who may use the data"), validators=[Optional(), Length(max=2000)])
    insurer = StringField(_l("Insurer"), validators=[Optional(), Length(max=200)])
    insurance_policy = StringField(_l("Policy number"), validators=[Optional(), Length(max=100)])
    insurance_coverage = DecimalField(_l("Coverage (€)"), places=2, validators=[Optional(), NumberRange(min=0)])
    insurance_expiry_date = DateField(_l("Insurance valid until"), validators=[Optional()])
    liability = RadioField(_l("Liability and risk"), default="company",
                           choices=[(k.value, v) for k, v in LIABILITY_LABELS.items()])
    ip_rights = RadioField(_l("Intellectual property"), default="company",
                           choices=[(k.value, v) for k, v in IP_LABELS.items()])
    publicity = RadioField(_l("Publicity"), default="open", choices=[(k.value, v) for k, v in PUBLICITY_LABELS.items()])
    terms_addition = TextAreaField(_l("Addition to the terms"), validators=[Optional(), Length(max=10000)])
    removal = TextAreaField(_l("Removal and restoration of the site"), validators=[Optional(), Length(max=10000)])
    pilot_fee = DecimalField(_l("Pilot fee paid by the city (€)"), places=2, default=Decimal(0),
                             validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                             description=_l("Only when the city procures the pilot; 0 otherwise."))
    fee_at_signing = DecimalField(_l("of which paid at signing (€)"), places=2, default=Decimal(0),
                                  validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                                  description=_l("The rest is paid when the outcome report is accepted."))
    registry_consent = BooleanField(_l("List the pilot in the public registry while it runs"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.block_errors: list = []    # about the facility time as a whole (none given, too many)
        self.focus_row: int | None = None  # after adding or removing a row: the row to focus

    def load_blocks(self, blocks) -> None:
        while self.blocks.entries:
            self.blocks.pop_entry()
        for block in blocks:
            self.blocks.append_entry().form.load(block)
        if not self.blocks.entries:
            self.blocks.append_entry()

    def change_rows(self, formdata) -> bool:
        """The "add another facility time" and "remove" buttons: the rows change and the form is
        shown again with what was typed, nothing is saved. False for any other submit."""
        if "remove_block" in formdata:
            index = formdata.get("remove_block", type=int)
            if index is not None and 0 <= index < len(self.blocks.entries):
                self.blocks.pop_entry(index)
            if not self.blocks.entries:
                self.blocks.append_entry()
            self.focus_row = min(max(index or 0, 0), len(self.blocks.entries) - 1)
            return True
        if "add_block" in formdata:
            if len(self.blocks.entries) < MAX_BLOCKS:
                self.blocks.append_entry()
            self.focus_row = len(self.blocks.entries) - 1
            return True
        return False

    def used_rows(self) -> list[BlockForm]:
        return [entry.form for entry in self.blocks.entries if not entry.form.is_blank]

    def place_block_errors(self, field_messages: dict, rows: list[BlockForm]) -> None:
        """Move a service's errors about the blocks (`blocks`, `blocks.<n>.<name>`, n indexing
        `rows`) out of `field_messages` onto the rows they concern."""
        for name in [n for n in field_messages if n == "blocks" or n.startswith("blocks.")]:
            messages = [str(m) for m in field_messages.pop(name)]
            _blocks, _dot, rest = name.partition(".")
            index, _dot, part = rest.partition(".")
            if index.isdigit() and int(index) < len(rows):
                target = getattr(rows[int(index)], BLOCK_FIELDS.get(part, "facility"))
                target.errors = list(target.errors) + messages
            else:
                self.block_errors += messages


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason (the applicants read it)"), validators=[Optional(), Length(max=5000)])


class AcceptForm(BaseForm):
    party = SelectField(_l("Accept for"), coerce=str)
    document_sha256 = HiddenField()
    confirm = BooleanField(_l("I have read the agreement and accept it on behalf of this party"),
                           validators=[InputRequired()])


class ReportForm(BaseForm):
    kpi_results = TextAreaField(_l("Results against each KPI"), validators=[InputRequired(), Length(max=10000)])
    worked = TextAreaField(_l("What worked"), validators=[Optional(), Length(max=10000)])
    failed = TextAreaField(_l("What failed, and why"), validators=[Optional(), Length(max=10000)])
    lessons = TextAreaField(_l("Lessons for the city"), validators=[Optional(), Length(max=10000)])
    scalable = BooleanField(_l("It could scale to other cities"))
    stays = BooleanField(_l("The solution stays after the pilot"))


class AssessmentForm(BaseForm):
    assessment = TextAreaField(_l("The city's assessment"), validators=[Optional(), Length(max=10000)])


class ReviewForm(BaseForm):
    recommendation = RadioField(_l("Recommendation"), choices=[(k.value, v) for k, v in RECOMMENDATION_LABELS.items()],
                                validators=[InputRequired()])
    scores = StringField(_l("Scores (0–5 per criterion, in order, separated by commas)"),
                         validators=[Optional(), Length(max=100)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=10000)])


class AssignForm(BaseForm):
    reviewer = SelectField(_l("Reviewer"), coerce=int)


class CommentForm(BaseForm):
    body = TextAreaField(_l("Comment"), validators=[InputRequired(), Length(max=10000)])


class ChallengeForm(BaseForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[InputRequired(), Length(max=200)])
    department = SelectField(_l("Department"), coerce=int)
    need = TextAreaField(_l("The need or problem"), validators=[InputRequired(), Length(max=10000)])
    offer = TextAreaField(_l("What the city offers"), validators=[Optional(), Length(max=10000)],
                          description=_l("Space (free or at a price), data, contacts."))
    facilities = SelectMultipleField(_l("Facilities and sites offered"), coerce=int, validators=[Optional()])
    period_start_date = DateField(_l("Pilot period from"), validators=[InputRequired()])
    period_end_date = DateField(_l("Pilot period until"), validators=[InputRequired()])
    deadline_date = DateField(_l("Application deadline"), validators=[InputRequired()])
    criteria = TextAreaField(_l("Evaluation criteria"), validators=[InputRequired(), Length(max=2000)],
                             description=_l("One per line, with its weight: “Impact on air quality: 50”. "
                                            "The weights add up to 100."))
    pilot_fee = DecimalField(_l("Optional pilot fee (€)"), places=2, validators=[Optional(), NumberRange(min=0)])
    contact_email = StringField(_l("Contact e-mail"), validators=[Optional(), Length(max=320)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, CHALLENGE_TEXTS)

    def translations(self) -> dict:
        return translations_of(self, CHALLENGE_TEXTS)


# The city's texts in every language, side by side (booking.forms.add_language_fields).
CHALLENGE_TEXTS = {"title": 200, "need": 10_000, "offer": 10_000}
add_language_fields(ChallengeForm, CHALLENGE_TEXTS)


class TemplateForm(BaseForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[InputRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[InputRequired(), Length(max=50000)],
                         description=_l("Placeholders: $title, $lead_organisation, $partners, $department, "
                                        "$start_date, $end_date, $blocks, $space_price, $pilot_fee, "
                                        "$fee_at_signing, $fee_on_report, $kpis, $data_collected, "
                                        "$data_legal_basis, $data_users, $insurer, $insurance_policy, "
                                        "$insurance_coverage, $insurance_expiry, $liability, $ip, $publicity, "
                                        "$terms_addition, $removal, $challenge, $template."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_languages(self, TEMPLATE_TEXTS)

    def set_translations(self, template) -> None:
        fill_translations(self, TEMPLATE_TEXTS, template.translations)

    def translations(self) -> dict:
        return translations_of(self, TEMPLATE_TEXTS)


# Read in every language; the parties accept the document rendered from the content language's body.
TEMPLATE_TEXTS = {"name": 200, "body": 50_000}
add_language_fields(TemplateForm, TEMPLATE_TEXTS)


def parse_criteria(text: str) -> list[dict]:
    """“Name: weight” lines → [{"name", "weight"}]; a line without a number gets weight 0 (refused)."""
    found = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, _sep, weight = line.rpartition(":")
        if not _sep:
            name, weight = line, "0"
        try:
            found.append({"name": name.strip(), "weight": int(weight.strip())})
        except ValueError:
            found.append({"name": line.strip(), "weight": 0})
    return found
