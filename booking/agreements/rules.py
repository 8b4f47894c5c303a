"""Pure rules of pilot agreements: the transitions by name, what each needs, who may do what,
and the agreement document (rendered from a template version, hashed with SHA-256).

Plain objects in, plain values out: no Flask, no session.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from string import Template

from booking.accounts.rules import can_act_for, can_administer, can_manage_department
from booking.agreements.models import AgreementStatus

A = AgreementStatus
BEFORE_SIGNING = frozenset({A.draft, A.submitted, A.in_review, A.changes_requested, A.approved})
DECIDABLE = frozenset({A.submitted, A.in_review})
EDITABLE = frozenset({A.draft, A.changes_requested, A.approved})
# Visible to the host department (and reviewers) once submitted; drafts stay the organisations'.
SUBMITTED_ONCE = frozenset(A) - {A.draft}
REGISTRY = frozenset({A.completed})

MAX_BLOCKS = 10
MAX_PILOT_DAYS = 366
MAX_TEXT = 10_000
MAX_PARTNERS = 10
MAX_SCORE = 5


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[AgreementStatus]
    target: AgreementStatus


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("submit", frozenset({A.draft, A.changes_requested}), A.submitted),
    Transition("review", frozenset({A.submitted}), A.in_review),
    Transition("request_changes", DECIDABLE, A.changes_requested),
    Transition("approve", DECIDABLE, A.approved),
    Transition("decline", DECIDABLE, A.declined),
    Transition("sign", frozenset({A.approved}), A.signed),          # the last party's acceptance
    Transition("reopen", frozenset({A.approved}), A.submitted),      # changed after approval: review again
    Transition("activate", frozenset({A.signed}), A.active),
    Transition("complete", frozenset({A.active}), A.completed),      # the outcome report accepted
    Transition("terminate", frozenset({A.signed, A.active}), A.terminated),
    Transition("withdraw", BEFORE_SIGNING, A.withdrawn),
)}


class IllegalTransition(Exception):
    def __init__(self, name: str, status: AgreementStatus):
        self.name, self.status = name, status
        super().__init__(f"{name} is not possible from {status.value}")


def next_status(name: str, status: AgreementStatus) -> AgreementStatus:
    """The status `name` leads to from `status`, or IllegalTransition (also for unknown names)."""
    transition = TRANSITIONS.get(name)
    if transition is None or status not in transition.sources:
        raise IllegalTransition(name, status)
    return transition.target


def allowed_transitions(status: AgreementStatus) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


# --- what a submission needs -------------------------------------------------------------------

@dataclass(frozen=True)
class Missing:
    code: str
    field: str


def submission_problems(*, title: str, description: str, start_date: date, end_date: date, kpis: str,
                        removal: str, insurer: str, insurance_policy: str, insurance_expiry_date: date | None,
                        blocks: list[tuple], today: date) -> list[Missing]:
    """Everything an agreement must say before the department reviews it (empty when complete).
    `blocks` are (start, end) local dates of the facility time it uses."""
    found = []
    for name, value in (("title", title), ("description", description), ("kpis", kpis), ("removal", removal),
                        ("insurer", insurer), ("insurance_policy", insurance_policy)):
        if not (value or "").strip():
            found.append(Missing(f"{name}_required", name))
    found += period_problems(start_date, end_date, today)
    if insurance_expiry_date is None:
        found.append(Missing("insurance_expiry_required", "insurance_expiry_date"))
    elif insurance_expiry_date < end_date:
        found.append(Missing("insurance_expires_early", "insurance_expiry_date"))
    if not blocks:
        found.append(Missing("block_required", "blocks"))
    for first, last in blocks:
        if first < start_date or last > end_date:
            found.append(Missing("block_outside_period", "blocks"))
            break
    return found


def period_problems(start_date: date, end_date: date, today: date) -> list[Missing]:
    if end_date < start_date:
        return [Missing("period_order", "end_date")]
    if (end_date - start_date).days > MAX_PILOT_DAYS:
        return [Missing("period_too_long", "end_date")]
    return []


# --- the pilot fee's milestones ---------------------------------------------------------------------

@dataclass(frozen=True)
class FeeMilestone:
    what: str                    # "signing" or "report_accepted"
    amount_cents: int
    due: datetime | None         # when it was released for payment; None until then


def fee_milestones(pilot_fee_cents: int, fee_at_signing_cents: int, signed_dt: datetime | None,
                   report_accepted_dt: datetime | None) -> list[FeeMilestone]:
    """The pilot fee the city pays, by milestone: the part paid at signing, and the rest when the
    outcome report is accepted, each released at that moment. A part of nothing is left out."""
    parts = (("signing", fee_at_signing_cents, signed_dt),
             ("report_accepted", pilot_fee_cents - fee_at_signing_cents, report_accepted_dt))
    return [FeeMilestone(what, amount, due) for what, amount, due in parts if amount > 0]


# --- who may do what ------------------------------------------------------------------------------

def is_party_member(user, agreement) -> bool:
    return any(can_act_for(user, o.id) for o in agreement.organisations)


def is_lead_member(user, agreement) -> bool:
    return can_act_for(user, agreement.lead_organisation_id)


def can_decide_agreement(user, agreement) -> bool:
    """The host department's managers (and admins) review, decide, activate and terminate."""
    return can_manage_department(user, agreement.host_department_id)


def is_reviewer(user, agreement) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and any(r.reviewer_id == user.id for r in agreement.reviews)


def can_view_agreement(user, agreement) -> bool:
    """Parties always; the host department, reviewers and admins once it was submitted."""
    if is_party_member(user, agreement):
        return True
    if agreement.status not in SUBMITTED_ONCE:
        return False
    return can_administer(user) or can_decide_agreement(user, agreement) or is_reviewer(user, agreement)


def can_edit_agreement(user, agreement) -> bool:
    return is_lead_member(user, agreement) and agreement.status in EDITABLE


def can_transition(user, agreement, name: str) -> bool:
    """Who may ask for each named transition (what must be complete is checked by the service)."""
    if name in ("submit", "withdraw"):
        return is_lead_member(user, agreement)
    if name in ("review", "request_changes", "approve", "decline", "activate", "terminate", "complete"):
        return can_decide_agreement(user, agreement) or (name == "complete" and is_pilot_manager(user, agreement))
    return False


def is_pilot_manager(user, agreement) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and agreement.pilot_manager_id == user.id


def can_review_agreement(user, agreement) -> bool:
    return agreement.status in DECIDABLE and (is_reviewer(user, agreement) or can_decide_agreement(user, agreement))


def can_comment(user, agreement) -> bool:
    return can_view_agreement(user, agreement) and agreement.status != A.draft


def parties_for(user, agreement) -> list[int | None]:
    """The parties the user may accept for: organisation ids they belong to, None for the city."""
    found: list[int | None] = [o.id for o in agreement.organisations if can_act_for(user, o.id)]
    if can_decide_agreement(user, agreement):
        found.append(None)
    return found


def can_report(user, agreement) -> bool:
    return is_lead_member(user, agreement) and agreement.status == A.active


def can_accept_report(user, agreement) -> bool:
    return (agreement.status == A.active and agreement.report is not None
            and (can_decide_agreement(user, agreement) or is_pilot_manager(user, agreement)))


def can_manage_challenges(user, department_id: int | None) -> bool:
    return can_manage_department(user, department_id)


def can_manage_templates(user) -> bool:
    return can_administer(user)


# --- the document --------------------------------------------------------------------------------

def render_document(body: str, values: dict[str, str]) -> str:
    """The template's text with its $placeholders filled; unknown ones stay as written."""
    return Template(body).safe_substitute(values).strip() + "\n"


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pending_parties(party_ids: list[int | None], accepted: list[int | None]) -> list[int | None]:
    """The parties (organisation ids, None for the city) that have not accepted yet."""
    return [p for p in party_ids if p not in accepted]


# --- scoring and deadlines ----------------------------------------------------------------------------

def weighted_score(criteria: list[dict], scores: list[list[int]]) -> float | None:
    """The mean over reviewers of Σ weight × score / Σ weight (0–5), None without scores."""
    complete = [s for s in scores if len(s) == len(criteria) and criteria]
    if not complete:
        return None
    total_weight = sum(c["weight"] for c in criteria) or 1
    each = [sum(c["weight"] * s for c, s in zip(criteria, row)) / total_weight for row in complete]
    return round(sum(each) / len(each), 2)


def criteria_problems(criteria: list[dict]) -> list[Missing]:
    if not criteria:
        return [Missing("criteria_required", "criteria")]
    if any(not str(c.get("name", "")).strip() or not 0 < int(c.get("weight", 0)) <= 100 for c in criteria):
        return [Missing("criterion_invalid", "criteria")]
    if sum(int(c["weight"]) for c in criteria) != 100:
        return [Missing("weights_sum", "criteria")]
    return []


def decision_deadline(submitted: date, working_days: int) -> date:
    """`working_days` Monday-to-Friday days after the submission date."""
    day, left = submitted, working_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day
