"""The agreement's transitions by name, and the document's hash: pure, no database."""
import pytest

from booking.agreements import rules
from booking.agreements.models import AgreementStatus as A


@pytest.mark.parametrize("name,source,target", [
    ("submit", A.draft, A.submitted), ("submit", A.changes_requested, A.submitted),
    ("review", A.submitted, A.in_review), ("request_changes", A.in_review, A.changes_requested),
    ("approve", A.submitted, A.approved), ("decline", A.in_review, A.declined), ("sign", A.approved, A.signed),
    ("reopen", A.approved, A.submitted), ("activate", A.signed, A.active), ("complete", A.active, A.completed),
    ("terminate", A.active, A.terminated), ("withdraw", A.approved, A.withdrawn),
])
def test_each_transition_leads_where_its_name_says(name, source, target):
    assert rules.next_status(name, source) == target


@pytest.mark.parametrize("name,source", [
    ("approve", A.draft), ("sign", A.submitted), ("withdraw", A.signed), ("withdraw", A.active),
    ("complete", A.signed), ("activate", A.approved), ("submit", A.approved), ("fly", A.draft),
])
def test_illegal_transitions_are_refused(name, source):
    with pytest.raises(rules.IllegalTransition):
        rules.next_status(name, source)


def test_the_document_hash_changes_with_one_character():
    text = rules.render_document("Pilot $title at $site", {"title": "Sensors"})
    assert text == "Pilot Sensors at $site\n"
    assert rules.document_hash(text) != rules.document_hash(text.replace("Sensors", "Sensor"))
    assert len(rules.document_hash(text)) == 64


def test_weighted_score_is_the_reviewers_mean():
    criteria = [{"name": "Impact", "weight": 60}, {"name": "Cost", "weight": 40}]
    assert rules.weighted_score(criteria, [[5, 0], [3, 5]]) == pytest.approx((3.0 + 3.8) / 2)
    assert rules.weighted_score(criteria, []) is None


def test_the_pilot_fee_is_released_in_milestones():
    from datetime import datetime, timezone
    signed, accepted = datetime(2030, 4, 1, tzinfo=timezone.utc), datetime(2030, 6, 1, tzinfo=timezone.utc)
    M = rules.FeeMilestone
    assert rules.fee_milestones(0, 0, signed, accepted) == []                       # no fee, no milestones
    assert rules.fee_milestones(800_000, 300_000, None, None) == [M("signing", 300_000, None),
                                                                  M("report_accepted", 500_000, None)]
    assert rules.fee_milestones(800_000, 300_000, signed, None) == [M("signing", 300_000, signed),
                                                                    M("report_accepted", 500_000, None)]
    assert rules.fee_milestones(800_000, 0, signed, accepted) == [M("report_accepted", 800_000, accepted)]
    assert rules.fee_milestones(800_000, 800_000, signed, None) == [M("signing", 800_000, signed)]
