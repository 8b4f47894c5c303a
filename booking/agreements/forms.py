"""Forms of pilot agreements, challenges, reviews, acceptance, outcome reports and templates."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, HiddenField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking.agreements.messages import (IP_LABELS, LIABILITY_LABELS, PUBLICITY_LABELS, RECOMMENDATION_LABELS)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def euros_to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


class AgreementForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[InputRequired(), Length(max=200)])
    need = TextAreaField(_l("The need it answers"), validators=[Optional(), Length(max=5000)],
                         description=_l("Without a challenge: which city need or problem the pilot addresses."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    start_date = DateField(_l("First day of the pilot"), validators=[InputRequired()])
    end_date = DateField(_l("Last day of the pilot"), validators=[InputRequired()])
    partners = SelectMultipleField(_l("Partner organisations"), coerce=int, validators=[Optional()],
                                   description=_l("Each partner accepts the agreement too."))
    facility = SelectField(_l("Facility"), coerce=int, validators=[InputRequired()])
    block_start_date = DateField(_l("Facility time from (date)"), validators=[InputRequired()])
    block_start_time = TimeField(_l("from (time)"), validators=[InputRequired()])
    block_end_date = DateField(_l("until (date)"), validators=[InputRequired()])
    block_end_time = TimeField(_l("until (time)"), validators=[InputRequired()])
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


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the applicants read it)"), validators=[Optional(), Length(max=5000)])


class AcceptForm(FlaskForm):
    party = SelectField(_l("Accept for"), coerce=str)
    document_sha256 = HiddenField()
    confirm = BooleanField(_l("I have read the agreement and accept it on behalf of this party"),
                           validators=[InputRequired()])


class ReportForm(FlaskForm):
    kpi_results = TextAreaField(_l("Results against each KPI"), validators=[InputRequired(), Length(max=10000)])
    worked = TextAreaField(_l("What worked"), validators=[Optional(), Length(max=10000)])
    failed = TextAreaField(_l("What failed, and why"), validators=[Optional(), Length(max=10000)])
    lessons = TextAreaField(_l("Lessons for the city"), validators=[Optional(), Length(max=10000)])
    scalable = BooleanField(_l("It could scale to other cities"))
    stays = BooleanField(_l("The solution stays after the pilot"))


class AssessmentForm(FlaskForm):
    assessment = TextAreaField(_l("The city's assessment"), validators=[Optional(), Length(max=10000)])


class ReviewForm(FlaskForm):
    recommendation = RadioField(_l("Recommendation"), choices=[(k.value, v) for k, v in RECOMMENDATION_LABELS.items()],
                                validators=[InputRequired()])
    scores = StringField(_l("Scores (0–5 per criterion, in order, separated by commas)"),
                         validators=[Optional(), Length(max=100)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=10000)])


class AssignForm(FlaskForm):
    reviewer = SelectField(_l("Reviewer"), coerce=int)


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[InputRequired(), Length(max=10000)])


class ChallengeForm(FlaskForm):
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


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[InputRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[InputRequired(), Length(max=50000)],
                         description=_l("Placeholders: $title, $lead_organisation, $partners, $department, "
                                        "$start_date, $end_date, $blocks, $space_price, $pilot_fee, "
                                        "$fee_at_signing, $fee_on_report, $kpis, $data_collected, "
                                        "$data_legal_basis, $data_users, $insurer, $insurance_policy, "
                                        "$insurance_coverage, $insurance_expiry, $liability, $ip, $publicity, "
                                        "$terms_addition, $removal, $challenge, $template."))


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
