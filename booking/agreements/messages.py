"""The agreements domain's wording: every code its services and rules return, in words."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.agreements.models import AgreementStatus as A
from booking.agreements.models import IPRights, Liability, Publicity, Recommendation
from booking.formatting import register

STATUS_LABELS = {
    A.draft: _l("draft"), A.submitted: _l("submitted"), A.in_review: _l("in review"),
    A.changes_requested: _l("changes requested"), A.approved: _l("approved"), A.declined: _l("declined"),
    A.signed: _l("signed"), A.active: _l("running"), A.completed: _l("completed"),
    A.terminated: _l("terminated"), A.withdrawn: _l("withdrawn"),
}

TRANSITION_LABELS = {
    "submit": _l("Submit for review"), "review": _l("Start the review"),
    "request_changes": _l("Request changes"), "approve": _l("Approve"), "decline": _l("Decline"),
    "activate": _l("Start the pilot"), "terminate": _l("Terminate"), "withdraw": _l("Withdraw"),
    "complete": _l("Accept the report and complete"),
}

LIABILITY_LABELS = {Liability.company: _l("The company answers for its equipment, activity and damage it causes"),
                    Liability.shared: _l("Each party answers for its own part (say how in the addition)")}
IP_LABELS = {IPRights.company: _l("Intellectual property stays with the company"),
             IPRights.joint: _l("Results are owned jointly (say how in the addition)")}
PUBLICITY_LABELS = {Publicity.open: _l("Both may publish that they pilot together, from the start"),
                    Publicity.after_completion: _l("Publicity after the pilot is completed"),
                    Publicity.by_consent: _l("Publicity only with both parties' consent")}
RECOMMENDATION_LABELS = {Recommendation.approve: _l("Approve"), Recommendation.changes: _l("Request changes"),
                         Recommendation.decline: _l("Decline")}

BLOCK_ORDER = _l("The facility time must end after it starts.")

register({
    "agreement.title_required": _l("Give the pilot a title."),
    "agreement.description_required": _l("Describe the pilot."),
    "agreement.kpis_required": _l("Say how success is measured (KPIs)."),
    "agreement.removal_required": _l("Say how the equipment is removed and the site restored."),
    "agreement.insurer_required": _l("Name the insurer."),
    "agreement.insurance_policy_required": _l("Give the insurance policy number."),
    "agreement.insurance_expiry_required": _l("Give the date the insurance expires."),
    "agreement.insurance_expires_early": _l("The insurance must be valid until the pilot ends."),
    "agreement.block_required": _l("Add the facility time the pilot uses."),
    "agreement.block_outside_period": _l("The facility time must fall within the pilot's period."),
    "agreement.too_many_blocks": _l("An agreement uses at most %(max)s blocks of facility time."),
    "agreement.period_order": _l("The pilot must end on or after its first day."),
    "agreement.period_too_long": _l("A pilot lasts at most a year."),
    "agreement.block_order": BLOCK_ORDER,
    "agreement.illegal_transition": _l("This is not possible while the agreement is %(status)s."),
    "agreement.not_allowed": _l("You may not do this with this agreement."),
    "agreement.not_editable": _l("The agreement cannot be changed while it is %(status)s."),
    "agreement.reason_required": _l("Give the reason: the applicant reads it."),
    "agreement.no_template": _l("There is no agreement template yet: an admin adds one first."),
    "agreement.not_a_party": _l("You cannot accept for this party."),
    "agreement.already_accepted": _l("This party has already accepted the document."),
    "agreement.document_changed": _l("The document changed after you opened it: read it again and accept it."),
    "agreement.block_unavailable": _l("The facility time %(facility)s from %(start)s could not be booked: %(reason)s"),
    "agreement.report_required": _l("The lead organisation files the outcome report first."),
    "agreement.report_not_active": _l("An outcome report is filed while the pilot runs."),
    "agreement.kpi_results_required": _l("Give the results against each KPI."),
    "agreement.not_a_reviewer": _l("Only assigned reviewers and the host department review."),
    "agreement.reviewer_not_staff": _l("Reviewers are city staff (facility managers or admins)."),
    "agreement.scores_invalid": _l("Score each criterion from 0 to %(max)s."),
    "agreement.comment_required": _l("Write the comment."),
    "agreement.text_too_long": _l("Use at most %(max)s characters."),
    "agreement.block_other_department": _l("Choose facilities of %(department)s, the department hosting the "
                                           "pilot; another department's facilities need a pilot of their own."),
    "agreement.partner_is_lead": _l("The lead organisation is not its own partner."),
    "agreement.challenge_closed": _l("The challenge's deadline has passed."),
    "agreement.challenge_not_closed": _l("Proposals are selected after the challenge's deadline."),
    "agreement.fee_milestones": _l("The part paid at signing cannot exceed the pilot fee."),
    "challenge.title_required": _l("Give the challenge a title."),
    "challenge.need_required": _l("Describe the need or problem."),
    "challenge.criteria_required": _l("Give at least one evaluation criterion."),
    "challenge.criterion_invalid": _l("Each criterion needs a name and a weight from 1 to 100."),
    "challenge.weights_sum": _l("The criteria's weights must add up to 100."),
    "challenge.period_order": _l("The period must end on or after its first day."),
    "challenge.period_too_long": _l("A pilot period lasts at most a year."),
    "template.body_required": _l("Write the template's text."),
    "template.name_required": _l("Give the template a name."),
    "agreement.email.submitted": _l("New pilot proposal: %(title)s"),
    "agreement.email.decided": _l("Decision on your pilot proposal: %(title)s"),
    "agreement.email.to_sign": _l("Pilot agreement ready to accept: %(title)s"),
    "agreement.email.signed": _l("Pilot agreement signed: %(title)s"),
    "agreement.email.report_due": _l("Outcome report due: %(title)s"),
    "agreement.email.insurance_expiring": _l("Insurance expiring during the pilot: %(title)s"),
    "agreement.email.ending": _l("Pilot ending soon: %(title)s"),
    "agreement.email.restore_site": _l("Pilot ended, site to be removed and restored: %(title)s"),
    "agreement.email.overdue": _l("Pilot proposal awaiting a decision past its deadline: %(title)s"),
})

register({f"agreement.status.{status.value}": label for status, label in STATUS_LABELS.items()})
