"""JSON routes of pilot agreements: challenges (public to read), agreements (parties, the host
department, reviewers), their named transitions and acceptance, and the public pilot registry
(organisations, never people). Amounts are integer cents (EUR)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import request
from pydantic import BaseModel, Field
from sqlalchemy.orm import selectinload

from booking.accounts.models import Department, Organisation
from booking.agreements import rules, services
from booking.agreements.models import (AgreementBlock, AgreementStatus, Challenge, IPRights, Liability, PilotAgreement,
                                       Publicity)
from booking.api.auth import token_has
from booking.api import api_user, route
from booking.api.pagination import Page, PageQuery, page_of, paginate
from booking.api.types import Count, Day, Id, Instant, Text
from booking.content import LANGUAGES
from booking.errors import NotFound, PermissionDenied
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.rules import can_view_facility
from booking.pricing import services as pricing

CITY_TRANSITIONS = frozenset({"review", "request_changes", "approve", "decline", "activate", "terminate", "complete"})
TAG = "Pilot agreements"
MAX_TEXT = rules.MAX_TEXT
Transition = Literal["submit", "review", "request_changes", "approve", "decline", "activate", "terminate",
                     "withdraw", "accept", "report", "complete"]


class OrganisationRef(BaseModel):
    id: int
    name: str
    actor_type: str


class BlockIn(BaseModel):
    """Facility time at a facility of the host department (every block at one department's)."""
    facility_id: Id
    start: Instant = Field(description="before `end`; to submit, within the agreement's start_date..end_date")
    end: Instant = Field(description="after `start`")


class AgreementIn(BaseModel):
    """A draft by `organisation_id` (the caller's own), for `challenge_id` or on its own."""
    organisation_id: Id
    challenge_id: Id | None = None
    title: Text = Field(max_length=200)
    need: Text = Field("", max_length=MAX_TEXT)
    description: Text = Field("", max_length=MAX_TEXT)
    start_date: Day = Field(description="first day of the pilot")
    end_date: Day = Field(description=f"last day: on or after `start_date`, at most {rules.MAX_PILOT_DAYS} days later")
    partner_ids: list[Id] = Field(default_factory=list, max_length=rules.MAX_PARTNERS,
                                  description="partner organisations (not `organisation_id`)")
    blocks: list[BlockIn] = Field(default_factory=list, max_length=rules.MAX_BLOCKS, description=(
        "without `challenge_id` at least one (its facility's department hosts the agreement)"))
    kpis: Text = Field("", max_length=MAX_TEXT)
    data_collected: Text = Field("", max_length=MAX_TEXT)
    data_legal_basis: Text = Field("", max_length=2000)
    data_users: Text = Field("", max_length=2000)
    insurer: Text = Field("", max_length=200)
    insurance_policy: Text = Field("", max_length=100)
    insurance_coverage_cents: int | None = Field(None, ge=0, le=10**12)
    insurance_expiry_date: Day | None = Field(None, description="to submit: on or after `end_date`")
    liability: Literal["company", "shared"] = "company"
    ip_rights: Literal["company", "joint"] = "company"
    publicity: Literal["open", "after_completion", "by_consent"] = "open"
    terms_addition: Text = Field("", max_length=MAX_TEXT)
    removal: Text = Field("", max_length=MAX_TEXT)
    pilot_fee_cents: int = Field(0, ge=0, le=10**10)
    fee_at_signing_cents: int = Field(0, ge=0, le=10**10, description=(
        "the part of `pilot_fee_cents` paid at signing: at most `pilot_fee_cents`"))
    registry_consent: bool = False


class TransitionIn(BaseModel):
    """`reason` for request_changes, decline and terminate; `document_sha256` and `party`
    ("city" or an organisation id) for accept; the report's fields for report;
    `assessment` for complete (accepting the outcome report)."""
    reason: Text = Field("", max_length=5000)
    document_sha256: Text = Field("", max_length=64)
    party: Id | Literal["city"] | None = None
    kpi_results: Text = Field("", max_length=MAX_TEXT)
    worked: Text = Field("", max_length=MAX_TEXT)
    failed: Text = Field("", max_length=MAX_TEXT)
    lessons: Text = Field("", max_length=MAX_TEXT)
    scalable: bool = False
    stays: bool = False
    assessment: Text = Field("", max_length=MAX_TEXT)


class BlockOut(BaseModel):
    facility_id: int
    facility: str
    start: datetime
    end: datetime
    price_cents: int | None = Field(description="what the lead organisation pays (pricing); null without a tariff")
    subsidy_cents: int = Field(description="list value minus price: what the city gives")
    reservation_id: int | None = Field(description="held (pending) for the agreement from approval, confirmed at signing")
    reservation_status: str | None = Field(description="the reservation's status: pending while held, then confirmed")


class FeeMilestoneOut(BaseModel):
    what: Literal["signing", "report_accepted"] = Field(
        description="signing: paid when every party has accepted; report_accepted: when the city accepts the "
                    "outcome report")
    amount_cents: int
    due: datetime | None = Field(description="when the milestone was released for payment; null until then")


class AcceptanceOut(BaseModel):
    party: int | Literal["city"]
    signer: str
    accepted: datetime
    template_version: int
    document_sha256: str


class AgreementOut(BaseModel):
    id: int
    title: str
    status: str
    challenge_id: int | None
    need: str
    description: str
    start_date: date
    end_date: date
    lead_organisation: OrganisationRef
    partners: list[OrganisationRef]
    host_department_id: int
    blocks: list[BlockOut]
    kpis: str
    data_collected: str
    data_legal_basis: str
    data_users: str
    insurer: str
    insurance_policy: str
    insurance_coverage_cents: int | None
    insurance_expiry_date: date | None
    liability: str
    ip_rights: str
    publicity: str
    terms_addition: str
    removal: str
    pilot_fee_cents: int
    fee_at_signing_cents: int
    fee_milestones: list[FeeMilestoneOut] = Field(description="the pilot fee by milestone (none without a fee)")
    decision_deadline: datetime | None
    decision_reason: str
    lead_time_hours: int | None
    document_sha256: str | None = Field(description="what each party accepts (once approved)")
    acceptances: list[AcceptanceOut]
    pending_parties: list[int | Literal["city"]]
    transitions: list[str] = Field(description="the named transitions the caller may ask for now")


class AgreementQuery(PageQuery):
    status: list[Literal[tuple(s.value for s in AgreementStatus)]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=11)


class ChallengeTexts(BaseModel):
    """A challenge's texts in one language (empty: not written in it)."""
    title: Text = Field("", max_length=200)
    need: Text = Field("", max_length=MAX_TEXT)
    offer: Text = Field("", max_length=MAX_TEXT)


class ChallengeIn(BaseModel):
    department_id: Id
    title: Text = Field(max_length=200)
    need: Text = Field(max_length=MAX_TEXT)
    offer: Text = Field("", max_length=MAX_TEXT)
    facility_ids: list[Id] = Field(default_factory=list, max_length=50,
                                   description="facilities offered: of the department `department_id`")
    period_start_date: Day = Field(description="first day of the pilots")
    period_end_date: Day = Field(description=(
        f"last day: on or after `period_start_date`, at most {rules.MAX_PILOT_DAYS} days later"))
    deadline: Instant = Field(description="when applications close")
    criteria: list[dict[Text, Text | Count]] = Field(max_length=20, description=(
        '[{"name": "Impact", "weight": 60}, …]: at least one, each weight 1–100, the weights add up to 100'))
    pilot_fee_cents: int | None = Field(None, ge=0, le=10**10)
    contact_email: Text = Field("", max_length=320)
    translations: dict[Literal[LANGUAGES], ChallengeTexts] = Field(  # type: ignore[valid-type]
        default_factory=dict, description=(
            "the texts in the other languages, by language code; the plain fields are the city's content "
            "language's, and a language left out or empty has none (readers get the content language's)"))


class ChallengeOut(BaseModel):
    id: int
    title: str
    department: str
    need: str
    offer: str
    facility_ids: list[int]
    period_start_date: date
    period_end_date: date
    deadline: datetime
    open: bool
    criteria: list[dict]
    pilot_fee_cents: int | None
    contact_email: str
    untranslated: list[str] = Field(description=(
        "the texts given in the city's content language because they have no translation into the "
        "response's language (Content-Language)"))
    translations: dict[str, ChallengeTexts] = Field(description=(
        "every language's texts, by language code (en, fi, sv); the plain fields are in the response's language"))


class PilotOut(BaseModel):
    """A pilot in the public registry: organisations and facilities, never people."""
    id: int
    title: str
    status: str
    challenge: str | None
    organisations: list[OrganisationRef]
    facilities: list[str]
    start_date: date
    end_date: date
    description: str
    results: str | None
    worked: str | None
    failed: str | None
    lessons: str | None
    scalable: bool | None
    stays: bool | None
    city_assessment: str | None


def _org(o: Organisation) -> OrganisationRef:
    return OrganisationRef(id=o.id, name=o.name, actor_type=o.actor_type.value)


def _party(value):
    return "city" if value is None else value


def agreement_out(agreement: PilotAgreement, user, tariffs=None) -> AgreementOut:
    """`tariffs`: a pricing.tariff_finder for its blocks' facilities (lists read them once)."""
    prices = services.block_prices(agreement, tariffs)
    _text, digest = services.document(agreement, prices)
    return AgreementOut(
        id=agreement.id, title=agreement.title, status=agreement.status.value, challenge_id=agreement.challenge_id,
        need=agreement.need, description=agreement.description, start_date=agreement.start_date,
        end_date=agreement.end_date, lead_organisation=_org(agreement.lead_organisation),
        partners=[_org(p) for p in agreement.partners], host_department_id=agreement.host_department_id,
        blocks=[BlockOut(facility_id=p.block.facility_id, facility=p.block.facility.name, start=p.block.start_dt,
                         end=p.block.end_dt, price_cents=p.gross_cents, subsidy_cents=p.subsidy_cents,
                         reservation_id=p.block.reservation_id,
                         reservation_status=p.block.reservation.status.value if p.block.reservation else None)
                for p in prices],
        kpis=agreement.kpis, data_collected=agreement.data_collected, data_legal_basis=agreement.data_legal_basis,
        data_users=agreement.data_users, insurer=agreement.insurer, insurance_policy=agreement.insurance_policy,
        insurance_coverage_cents=agreement.insurance_coverage_cents,
        insurance_expiry_date=agreement.insurance_expiry_date, liability=agreement.liability.value,
        ip_rights=agreement.ip_rights.value, publicity=agreement.publicity.value,
        terms_addition=agreement.terms_addition, removal=agreement.removal, pilot_fee_cents=agreement.pilot_fee_cents,
        fee_at_signing_cents=agreement.fee_at_signing_cents,
        fee_milestones=[FeeMilestoneOut(what=m.what, amount_cents=m.amount_cents, due=m.due)
                        for m in services.fee_milestones(agreement)],
        decision_deadline=agreement.decision_deadline_dt,
        decision_reason=agreement.decision_reason, lead_time_hours=agreement.lead_time_hours,
        document_sha256=digest or None,
        acceptances=[AcceptanceOut(party=_party(a.organisation_id), signer=a.signer_name, accepted=a.accepted_dt,
                                   template_version=a.template.version, document_sha256=a.document_sha256)
                     for a in agreement.valid_acceptances],
        pending_parties=[_party(p) for p in services.pending_parties(agreement)] if agreement.template else [],
        transitions=[n for n in rules.allowed_transitions(agreement.status)
                     if n not in ("sign", "reopen") and rules.can_transition(user, agreement, n)])


def _visible(agreement_id: int) -> PilotAgreement:
    agreement = services.get_agreement(agreement_id)
    if agreement is None or not rules.can_view_agreement(api_user(), agreement):
        raise NotFound()
    return agreement


def _input(body: AgreementIn, user) -> services.AgreementInput:
    blocks = []
    for b in body.blocks:
        facility = db.session.get(Facility, b.facility_id)
        if facility is None or not can_view_facility(user, facility):
            raise NotFound()
        blocks.append(services.BlockInput(facility, b.start, b.end))
    partners = [db.session.get(Organisation, pid) for pid in body.partner_ids]
    if any(p is None for p in partners):
        raise NotFound()
    values = body.model_dump(exclude={"organisation_id", "challenge_id", "partner_ids", "blocks"})
    values.update(liability=Liability(body.liability), ip_rights=IPRights(body.ip_rights),
                  publicity=Publicity(body.publicity))
    return services.AgreementInput(**values, partners=partners, blocks=blocks)


@route("/agreements", summary="Pilot agreements the caller may see", tag=TAG, query=AgreementQuery,
       response=Page[AgreementOut])
def agreement_list(query: AgreementQuery):
    """Members see their organisations' agreements (drafts included), managers their
    departments' submitted ones, reviewers those they review, admins every submitted one."""
    user = api_user()
    stmt = services.visible_agreements(user).options(*services.AGREEMENT_IN_FULL)
    if query.status:
        stmt = stmt.where(PilotAgreement.status.in_([AgreementStatus(s) for s in query.status]))
    items, total = paginate(stmt, query.page, query.per_page)
    tariffs = pricing.tariff_finder({b.facility for a in items for b in a.blocks}, *pricing.TARIFF_TERMS)
    return Page(items=[agreement_out(a, user, tariffs) for a in items], total=total, page=query.page,
                per_page=query.per_page)


@route("/agreements", "POST", summary="Propose a pilot (a draft)", tag=TAG, body=AgreementIn,
       response=AgreementOut, status=201, errors=(403, 404, 422))
def agreement_create(body: AgreementIn):
    """The draft is the organisation's until it is submitted (`POST /agreements/{id}/submit`)."""
    user = api_user()
    organisation = db.session.get(Organisation, body.organisation_id)
    if organisation is None or not rules.can_act_for(user, organisation.id):  # existence not revealed
        raise NotFound("You are not a member of an organisation with this id.")
    challenge = db.session.get(Challenge, body.challenge_id) if body.challenge_id else None
    if body.challenge_id and challenge is None:
        raise NotFound()
    agreement = services.create_agreement(user, organisation, _input(body, user), challenge=challenge)
    return agreement_out(agreement, user)


@route("/agreements/<int:agreement_id>", summary="One pilot agreement", tag=TAG, response=AgreementOut,
       errors=(404,))
def agreement_detail(agreement_id: int):
    return agreement_out(_visible(agreement_id), api_user())


@route("/agreements/<int:agreement_id>/<transition>", "POST", summary="Move an agreement by a named transition",
       tag=TAG, body=TransitionIn, body_required=False, response=AgreementOut, errors=(403, 404, 409, 422))
def agreement_transition(agreement_id: int, transition: str, body: TransitionIn):
    """`submit`, `review`, `request_changes`, `approve`, `decline`, `activate`, `terminate`,
    `withdraw`; `accept` (one party accepts the document whose `document_sha256` it read; the
    last acceptance signs the agreement and books its blocks, all or nothing: 409 if a time is
    taken); `report` (the lead organisation's outcome report); `complete` (the city accepts
    the report). An illegal transition answers 422, an unknown name 404. The city's decisions
    (`review`, `request_changes`, `approve`, `decline`, `activate`, `terminate`, `complete`)
    need a token with the `manage` scope. The body is optional where the transition needs none
    of its fields."""
    user = api_user()
    agreement = _visible(agreement_id)
    if transition in CITY_TRANSITIONS and not token_has("manage"):
        raise PermissionDenied("The city's decisions need a token with the 'manage' scope.")
    if transition == "accept":
        party = None if body.party in (None, "city") else body.party
        services.accept(user, agreement, party, document_sha256=body.document_sha256,
                        remote_addr=request.remote_addr or "")
    elif transition == "report":
        services.file_report(user, agreement, kpi_results=body.kpi_results, worked=body.worked, failed=body.failed,
                             lessons=body.lessons, scalable=body.scalable, stays=body.stays)
    elif transition == "complete":
        services.accept_report(user, agreement, assessment=body.assessment)
    else:
        services.transition(user, agreement, transition, reason=body.reason)
    return agreement_out(agreement, user)


def challenge_out(c: Challenge) -> ChallengeOut:
    texts = {field: c.translated(field) for field in Challenge.TRANSLATABLE}
    every = {field: c.texts(field) for field in Challenge.TRANSLATABLE}
    return ChallengeOut(id=c.id, title=texts["title"].text, department=c.department.t("name"),
                        need=texts["need"].text, offer=texts["offer"].text,
                        facility_ids=[f.id for f in c.facilities], period_start_date=c.period_start_date,
                        period_end_date=c.period_end_date, deadline=c.deadline_dt,
                        open=c.is_open(services.now_or(None)), criteria=c.criteria, pilot_fee_cents=c.pilot_fee_cents,
                        contact_email=c.contact_email,
                        untranslated=[field for field, text in texts.items() if text.missing],
                        translations={language: ChallengeTexts(**{field: every[field][language]
                                                                  for field in Challenge.TRANSLATABLE})
                                      for language in LANGUAGES})


@route("/challenges", summary="The city's challenges (open calls), open and closed", tag=TAG, auth="public",
       query=PageQuery, response=Page[ChallengeOut])
def challenge_list(query: PageQuery):
    return page_of(services.public_challenges().options(selectinload(Challenge.department),
                                                        selectinload(Challenge.facilities)), query, challenge_out)


@route("/challenges", "POST", scope="manage", summary="Publish a challenge (the department's managers)", tag=TAG,
       body=ChallengeIn, response=ChallengeOut, status=201, errors=(403, 404, 422))
def challenge_create(body: ChallengeIn):
    user = api_user()
    department = db.session.get(Department, body.department_id)
    if department is None:
        raise NotFound()
    facilities = [f for f in (db.session.get(Facility, i) for i in body.facility_ids) if f is not None]
    data = services.ChallengeInput(
        title=body.title, need=body.need, offer=body.offer, period_start_date=body.period_start_date,
        period_end_date=body.period_end_date, deadline_dt=body.deadline, criteria=body.criteria,
        facilities=facilities, pilot_fee_cents=body.pilot_fee_cents, contact_email=body.contact_email,
        translations={language: texts.model_dump() for language, texts in body.translations.items()})
    return challenge_out(services.create_challenge(user, department, data))


def pilot_out(a: PilotAgreement) -> PilotOut:
    report = a.report if a.report is not None and a.report.accepted_dt is not None else None
    return PilotOut(
        id=a.id, title=a.title, status=a.status.value, challenge=a.challenge.t("title") if a.challenge else None,
        organisations=[_org(o) for o in a.organisations],
        facilities=sorted({b.facility.name for b in a.blocks}), start_date=a.start_date, end_date=a.end_date,
        description=a.description, results=report.kpi_results if report else None,
        worked=report.worked if report else None, failed=report.failed if report else None,
        lessons=report.lessons if report else None, scalable=report.scalable if report else None,
        stays=report.stays if report else None, city_assessment=report.city_assessment if report else None)


@route("/pilots", summary="The public pilot registry", tag=TAG, auth="public", query=PageQuery,
       response=Page[PilotOut])
def pilot_list(query: PageQuery):
    """Completed pilots with their outcome reports, and running ones whose parties consented."""
    stmt = services.registry().options(
        selectinload(PilotAgreement.report), selectinload(PilotAgreement.challenge),
        selectinload(PilotAgreement.lead_organisation), selectinload(PilotAgreement.partners),
        selectinload(PilotAgreement.blocks).selectinload(AgreementBlock.facility))
    return page_of(stmt, query, pilot_out)
