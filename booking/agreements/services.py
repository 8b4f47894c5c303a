"""Pilot agreement and challenge use cases. Each adds and flushes in the caller's unit of work
(booking.unit_of_work), never commits, and says what happened with one domain event
(audit event and e-mails). Refusals are booking.errors with coded messages
(booking/agreements/messages.py).

    create_agreement(user, organisation, data, *, challenge=None, now=None) -> PilotAgreement
    update_agreement(user, agreement, data, *, now=None) -> PilotAgreement   # after approval: signatures void, review again
    transition(user, agreement, name, *, reason="", now=None) -> PilotAgreement
    document(agreement, prices=None) -> (text, sha256)     # the exact text each party accepts
    accept(user, agreement, party_id, *, document_sha256, remote_addr="", now=None) -> Acceptance
        # the last party's acceptance signs it and confirms its blocks (held since approval)
    block_prices(agreement, tariffs=None) -> list[BlockPrice]  # through pricing; the booked snapshot once signed
    file_report(user, agreement, data, *, now=None) / accept_report(user, agreement, assessment, *, now=None)
    assign_reviewer(user, agreement, reviewer) / recommend(user, agreement, recommendation, scores, comment)
    add_comment(user, agreement, body)
    save_template(user, name, body, clauses=None) -> AgreementTemplate   # always a new version
    create_challenge(user, department, data, *, now=None) -> Challenge
    fee_milestones(agreement) -> list[rules.FeeMilestone]  # the pilot fee: at signing, on the report's acceptance
    portfolio() -> counts by status / decision_lead_time() -> LeadTime / fee_totals() -> FeeTotals  # admins' portfolio
    registry(now=None) -> Select                           # completed pilots (and consented active ones)
    flag_overdue(now=None) -> int / send_reminders(now=None) -> dict      # the scheduler's jobs
        # reminders, once each: report due, insurance expiring, pilot ending, site to restore
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from booking.accounts.models import Department, Organisation, Role, User
from booking.agreements import messages  # noqa: F401  (registers the domain's wording)
from booking.agreements import rules
from booking.content import clean_translations
from booking.agreements.models import (Acceptance, AgreementBlock, AgreementStatus, AgreementTemplate, Challenge,
                                       Comment, OutcomeReport, PilotAgreement, Recommendation, Review)
from booking.database import utcnow
from booking.errors import DomainError, Message, NotFound, PermissionDenied, RuleViolation
from booking.events import Email, Event, publish
from booking.extensions import db
from booking.facilities.models import Facility
from booking.pricing import services as pricing
from booking.reservations.models import Reservation, ReservationStatus
from booking.reservations.services.booking import book
from booking.reservations.services.checks import Candidate, lock
from booking.reservations.services.decisions import decided
from booking.reservations.services.notify import tell
from booking.reservations.services.prices import settle

A = AgreementStatus
FIELDS = ("title", "need", "description", "start_date", "end_date", "kpis", "data_collected", "data_legal_basis",
          "data_users", "insurer", "insurance_policy", "insurance_coverage_cents", "insurance_expiry_date",
          "liability", "ip_rights", "publicity", "terms_addition", "removal", "pilot_fee_cents",
          "fee_at_signing_cents", "registry_consent")


@dataclass
class BlockInput:
    facility: Facility
    start: datetime
    end: datetime


@dataclass
class AgreementInput:
    """What the lead organisation writes; `blocks` are the facility time it uses."""
    title: str
    start_date: date
    end_date: date
    description: str = ""
    need: str = ""
    kpis: str = ""
    data_collected: str = ""
    data_legal_basis: str = ""
    data_users: str = ""
    insurer: str = ""
    insurance_policy: str = ""
    insurance_coverage_cents: int | None = None
    insurance_expiry_date: date | None = None
    liability: object = None
    ip_rights: object = None
    publicity: object = None
    terms_addition: str = ""
    removal: str = ""
    pilot_fee_cents: int = 0
    fee_at_signing_cents: int = 0
    registry_consent: bool = False
    partners: list[Organisation] = field(default_factory=list)
    blocks: list[BlockInput] = field(default_factory=list)
    host_department: Department | None = None


@dataclass
class BlockPrice:
    block: AgreementBlock
    gross_cents: int | None          # what the organisation pays (None: the facility has no tariff)
    subsidy_cents: int               # the list value minus the price: what the city gives


def now_or(now: datetime | None) -> datetime:
    return now or utcnow()


def _refuse(code: str, field: str | None = None, **params):
    if field:
        raise RuleViolation(field_errors={field: [Message(f"agreement.{code}", **params)]})
    raise RuleViolation(Message(f"agreement.{code}", **params))


def _require(allowed: bool, code: str = "not_allowed") -> None:
    if not allowed:
        raise PermissionDenied(Message(f"agreement.{code}"))


def _status(agreement: PilotAgreement) -> Message:
    return Message(f"agreement.status.{agreement.status.value}")


def _tell(action: str, agreement: PilotAgreement, actor, *, before=None, after=None, emails=()) -> None:
    publish(Event(f"agreement.{action}", agreement, actor=actor, department_id=agreement.department_id,
                  before=before, after={"status": agreement.status, **(after or {})}, emails=list(emails)))
    db.session.flush()


# --- e-mails -------------------------------------------------------------------------------------

def _organisation_recipients(agreement: PilotAgreement, organisations=None) -> dict[str, str | None]:
    """The parties' (or the given organisations') members in their language, else each
    organisation's contact address."""
    found: dict[str, str | None] = {}
    for organisation in agreement.organisations if organisations is None else organisations:
        members = [m.user for m in organisation.memberships if m.user.active]
        for user in members:
            found.setdefault(user.email, user.locale)
        if not members and organisation.contact_email:
            found.setdefault(organisation.contact_email, None)
    return found


def _city_recipients(agreement: PilotAgreement) -> dict[str, str | None]:
    found = {u.email: u.locale for u in agreement.host_department.managers if u.active}
    if agreement.pilot_manager is not None:
        found.setdefault(agreement.pilot_manager.email, agreement.pilot_manager.locale)
    if not found and agreement.host_department.contact_email:
        found[agreement.host_department.contact_email] = None
    return found


def _emails(recipients: dict[str, str | None], event: str, agreement: PilotAgreement, **context) -> list[Email]:
    """One message per address; a person's is also listed in their in-app notifications."""
    people = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(list(recipients) or [""]))).all())
    return [Email(to, Message(f"agreement.email.{event}", title=agreement.title), f"agreement_{event}",
                  locale=locale, topic=f"agreement:{agreement.id}", user_id=people.get(to),
                  link=f"/agreements/{agreement.id}", context={"agreement": agreement, **context})
            for to, locale in recipients.items()]


# --- the agreement itself ------------------------------------------------------------------------

def _check_input(data: AgreementInput, organisation: Organisation, now: datetime) -> None:
    found = [Message(f"agreement.{m.code}") for m in rules.period_problems(data.start_date, data.end_date, now.date())]
    errors: dict[str, list[Message]] = {"end_date": found} if found else {}
    if len(data.blocks) > rules.MAX_BLOCKS:
        errors.setdefault("blocks", []).append(Message("agreement.too_many_blocks", max=rules.MAX_BLOCKS))
    if any(p.id == organisation.id for p in data.partners):
        errors.setdefault("partners", []).append(Message("agreement.partner_is_lead"))
    if not (data.title or "").strip():
        errors.setdefault("title", []).append(Message("agreement.title_required"))
    if not 0 <= (data.fee_at_signing_cents or 0) <= (data.pilot_fee_cents or 0):
        errors.setdefault("fee_at_signing_cents", []).append(Message("agreement.fee_milestones"))
    for name in ("description", "kpis", "terms_addition", "removal", "data_collected"):
        if len(getattr(data, name) or "") > rules.MAX_TEXT:
            errors.setdefault(name, []).append(Message("agreement.text_too_long", max=rules.MAX_TEXT))
    for index, block in enumerate(data.blocks):   # errors about one block: blocks.<index>.<its field>
        if block.end <= block.start:
            errors.setdefault(f"blocks.{index}.end", []).append(Message("agreement.block_order"))
    if errors:
        raise RuleViolation(field_errors=errors)


def _check_blocks_hosted(data: AgreementInput, department: Department) -> None:
    """The host department approves the agreement and so books its blocks, bypassing the
    facilities' own approval: only at facilities it manages."""
    errors = {f"blocks.{index}.facility_id": [Message("agreement.block_other_department", department=department.name)]
              for index, b in enumerate(data.blocks) if b.facility.department_id != department.id}
    if errors:
        raise RuleViolation(field_errors=errors)


def _fill(agreement: PilotAgreement, data: AgreementInput) -> None:
    for name in FIELDS:
        value = getattr(data, name)
        if value is None and name in ("liability", "ip_rights", "publicity", "pilot_fee_cents",
                                      "fee_at_signing_cents"):
            continue
        if isinstance(value, str):
            value = value.strip()
        setattr(agreement, name, value)
    agreement.partners = list(data.partners)[:rules.MAX_PARTNERS]
    agreement.blocks = [AgreementBlock(facility=b.facility, start_dt=b.start, end_dt=b.end) for b in data.blocks]


def _values(agreement: PilotAgreement) -> dict:
    values = {name: getattr(agreement, name) for name in FIELDS}
    values["partners"] = sorted(p.id for p in agreement.partners)
    values["blocks"] = [[b.facility_id, b.start_dt, b.end_dt] for b in agreement.blocks]
    return values


def create_agreement(user: User, organisation: Organisation, data: AgreementInput, *,
                     challenge: Challenge | None = None, now: datetime | None = None) -> PilotAgreement:
    """A draft by the organisation (alone or with partners), for a challenge or on its own."""
    now = now_or(now)
    _require(rules.can_act_for(user, organisation.id))
    if challenge is not None and not challenge.is_open(now):
        _refuse("challenge_closed")
    _check_input(data, organisation, now)
    department = challenge.department if challenge is not None else (
        data.host_department or (data.blocks[0].facility.department if data.blocks else None))
    if department is None:
        _refuse("block_required", "blocks")
    _check_blocks_hosted(data, department)
    agreement = PilotAgreement(lead_organisation=organisation, host_department=department, challenge=challenge,
                               created_by_id=user.id, status=A.draft, created_dt=now)
    _fill(agreement, data)
    db.session.add(agreement)
    db.session.flush()
    _tell("created", agreement, user, after=_values(agreement))
    return agreement


def update_agreement(user: User, agreement: PilotAgreement, data: AgreementInput, *,
                     now: datetime | None = None) -> PilotAgreement:
    """The lead organisation changes it. After approval every signature is void and it goes
    back to review (the parties accepted a document that no longer exists)."""
    now = now_or(now)
    _require(rules.is_lead_member(user, agreement))
    if agreement.status not in rules.EDITABLE:
        _refuse("not_editable", status=_status(agreement))
    _check_input(data, agreement.lead_organisation, now)
    _check_blocks_hosted(data, agreement.host_department)
    before = _values(agreement)
    held = {(b.facility_id, b.start_dt, b.end_dt): b.reservation for b in agreement.blocks if b.reservation}
    for block in agreement.blocks:  # the reservations move to the new blocks (or are released)
        block.reservation = None
    db.session.flush()
    _fill(agreement, data)
    for block in agreement.blocks:
        block.reservation = held.pop((block.facility.id, block.start_dt, block.end_dt), None)
    _release(user, agreement, held.values(), now)
    after = _values(agreement)
    if after == before:
        return agreement
    voided = 0
    if agreement.status == A.approved:
        for acceptance in agreement.valid_acceptances:
            acceptance.void_dt = now
            voided += 1
        old = agreement.status
        agreement.status = rules.next_status("reopen", old)
        _enter_review(agreement, now)
        _tell("reopened", agreement, user, before={"status": old, **before}, after={**after, "voided": voided},
              emails=_emails(_city_recipients(agreement), "submitted", agreement))
        return agreement
    _tell("updated", agreement, user, before=before, after=after)
    return agreement


def _enter_review(agreement: PilotAgreement, now: datetime) -> None:
    agreement.submitted_dt = agreement.submitted_dt or now
    days = agreement.host_department.decision_days or 3
    agreement.decision_deadline_dt = datetime.combine(rules.decision_deadline(now.date(), days), now.timetz())
    agreement.escalated_dt = None


def _blocks_as_dates(agreement: PilotAgreement) -> list[tuple[date, date]]:
    found = []
    for b in agreement.blocks:
        zone = ZoneInfo(b.facility.timezone)
        found.append((b.start_dt.astimezone(zone).date(), (b.end_dt - timedelta(seconds=1)).astimezone(zone).date()))
    return found


def submission_problems(agreement: PilotAgreement, now: datetime) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = {}
    for missing in rules.submission_problems(
            title=agreement.title, description=agreement.description, start_date=agreement.start_date,
            end_date=agreement.end_date, kpis=agreement.kpis, removal=agreement.removal, insurer=agreement.insurer,
            insurance_policy=agreement.insurance_policy, insurance_expiry_date=agreement.insurance_expiry_date,
            blocks=_blocks_as_dates(agreement), today=now.date()):
        found.setdefault(missing.field, []).append(Message(f"agreement.{missing.code}"))
    return found


def transition(user: User, agreement: PilotAgreement, name: str, *, reason: str = "",
               now: datetime | None = None) -> PilotAgreement:
    """Move the agreement by a named transition: who may, what must be complete, then one event.
    `reason` is required to request changes, decline or terminate (the applicants read it)."""
    now = now_or(now)
    if name not in rules.TRANSITIONS or name in ("sign", "reopen"):
        raise NotFound(Message("agreement.illegal_transition", status=_status(agreement)))
    _require(rules.can_transition(user, agreement, name))
    db.session.refresh(agreement, with_for_update=True)
    try:
        target = rules.next_status(name, agreement.status)
    except rules.IllegalTransition:
        _refuse("illegal_transition", status=_status(agreement))
    reason = (reason or "").strip()
    emails: list[Email] = []
    if name == "submit":
        problems = submission_problems(agreement, now)
        if problems:
            raise RuleViolation(field_errors=problems)
        _enter_review(agreement, now)
        emails = _emails(_city_recipients(agreement), "submitted", agreement)
    elif name in ("request_changes", "decline", "terminate") and not reason:
        _refuse("reason_required", "reason")
    if name in ("approve", "decline") and agreement.challenge is not None and agreement.challenge.is_open(now):
        _refuse("challenge_not_closed")
    if name == "approve":
        template = current_template()
        if template is None:
            _refuse("no_template")
        agreement.template = template
        agreement.pilot_manager = agreement.pilot_manager or user
        hold_blocks(user, agreement, now)
    if name in ("request_changes", "approve", "decline"):
        agreement.decided_dt, agreement.decided_by, agreement.decision_reason = now, user, reason
        if agreement.submitted_dt is not None and agreement.lead_time_hours is None and name != "request_changes":
            agreement.lead_time_hours = int((now - agreement.submitted_dt).total_seconds() // 3600)
        agreement.decision_deadline_dt = None
        emails = _emails(_organisation_recipients(agreement), "decided", agreement, decision=name, reason=reason)
        if name == "approve":
            emails += _emails(_organisation_recipients(agreement) | _city_recipients(agreement), "to_sign", agreement)
    if name == "complete":
        _refuse("report_required")  # completion is accepting the outcome report (accept_report)
    if name in ("terminate", "withdraw"):
        agreement.ended_dt = now
        agreement.decision_reason = reason or agreement.decision_reason
    if name in ("terminate", "withdraw", "decline"):
        _release(user, agreement, [b.reservation for b in agreement.blocks if b.reservation], now)
    before = agreement.status
    agreement.status = target
    _tell(name, agreement, user, before={"status": before}, after={"reason": reason} if reason else None,
          emails=emails)
    return agreement


def _held_for(agreement: PilotAgreement) -> str:
    return f"agreement:{agreement.id}"


def _release(user: User, agreement: PilotAgreement, reservations, now: datetime) -> None:
    """Declined, withdrawn or terminated, or a block changed: the time held for the agreement,
    and confirmed time not yet started, is cancelled (its price void); time used stays."""
    released = []
    for reservation in reservations:
        held = reservation.held_for == _held_for(agreement)
        if not reservation.is_active or (reservation.start_dt <= now and not held):
            continue
        lock(reservation)
        before = reservation.set_status(ReservationStatus.cancelled)
        reservation.cancelled_dt = now
        reservation.cancel_reason = _held_for(agreement)
        reservation.held_for = None
        settle(reservation)
        released.append((reservation, before))
    for reservation, before in released:
        tell("cancelled", [reservation], user, now=now, before={"status": before},
             after={"agreement_id": agreement.id})


# --- the document and its acceptance ----------------------------------------------------------------

def current_template() -> AgreementTemplate | None:
    stmt = (select(AgreementTemplate).where(AgreementTemplate.superseded_dt.is_(None))
            .order_by(AgreementTemplate.id.desc()).limit(1))
    return db.session.scalar(stmt)


def _euros(cents: int | None) -> str:
    if cents is None:
        return "-"
    return f"{cents // 100:,}.{cents % 100:02d} EUR".replace(",", " ")


def document_values(agreement: PilotAgreement, prices: list[BlockPrice] | None = None) -> dict[str, str]:
    """The agreement's data as plain text for the template (language-neutral: ISO dates, EUR);
    `prices`: its block_prices, if already known."""
    template = agreement.template
    clauses = (template.clauses if template else {}) or {}
    prices = block_prices(agreement) if prices is None else prices
    blocks = []
    for price in prices:
        b = price.block
        zone = ZoneInfo(b.facility.timezone)
        blocks.append(f"- {b.facility.name}: {b.start_dt.astimezone(zone):%Y-%m-%d %H:%M} – "
                      f"{b.end_dt.astimezone(zone):%Y-%m-%d %H:%M} ({b.facility.timezone}); "
                      f"{_euros(price.gross_cents)}")
    return {
        "title": agreement.title, "description": agreement.description,
        "challenge": agreement.challenge.title if agreement.challenge else agreement.need,
        "lead_organisation": agreement.lead_organisation.name,
        "partners": ", ".join(p.name for p in agreement.partners) or "-",
        "department": agreement.host_department.name,
        "start_date": agreement.start_date.isoformat(), "end_date": agreement.end_date.isoformat(),
        "blocks": "\n".join(blocks) or "-",
        "space_price": _euros(sum(p.gross_cents or 0 for p in prices)),
        "pilot_fee": _euros(agreement.pilot_fee_cents), "fee_at_signing": _euros(agreement.fee_at_signing_cents),
        "fee_on_report": _euros(agreement.pilot_fee_cents - agreement.fee_at_signing_cents),
        "kpis": agreement.kpis, "data_collected": agreement.data_collected or "-",
        "data_legal_basis": agreement.data_legal_basis or "-", "data_users": agreement.data_users or "-",
        "insurer": agreement.insurer, "insurance_policy": agreement.insurance_policy,
        "insurance_coverage": _euros(agreement.insurance_coverage_cents),
        "insurance_expiry": agreement.insurance_expiry_date.isoformat() if agreement.insurance_expiry_date else "-",
        "liability": clauses.get("liability", {}).get(agreement.liability.value, agreement.liability.value),
        "ip": clauses.get("ip_rights", {}).get(agreement.ip_rights.value, agreement.ip_rights.value),
        "publicity": clauses.get("publicity", {}).get(agreement.publicity.value, agreement.publicity.value),
        "terms_addition": agreement.terms_addition or "-", "removal": agreement.removal,
        "template": f"{template.name} v{template.version}" if template else "-",
    }


def document(agreement: PilotAgreement, prices: list[BlockPrice] | None = None) -> tuple[str, str]:
    """The exact text the parties accept and its SHA-256; ("", "") before a template is chosen.
    `prices`: its block_prices, if already known."""
    if agreement.template is None:
        return "", ""
    text = rules.render_document(agreement.template.body, document_values(agreement, prices))
    return text, rules.document_hash(text)


def party_ids(agreement: PilotAgreement) -> list[int | None]:
    return [o.id for o in agreement.organisations] + [None]


def pending_parties(agreement: PilotAgreement) -> list[int | None]:
    return rules.pending_parties(party_ids(agreement), [a.organisation_id for a in agreement.valid_acceptances])


def accept(user: User, agreement: PilotAgreement, party_id: int | None, *, document_sha256: str,
           remote_addr: str = "", now: datetime | None = None) -> Acceptance:
    """A representative accepts the exact document for a party (an organisation, or None: the
    city). The last acceptance signs the agreement and books its blocks in the same unit of
    work: if any block cannot be booked, nothing is written."""
    now = now_or(now)
    _require(party_id in rules.parties_for(user, agreement), "not_a_party")
    db.session.refresh(agreement, with_for_update=True)
    if agreement.status != A.approved:
        _refuse("illegal_transition", status=_status(agreement))
    if party_id not in pending_parties(agreement):
        _refuse("already_accepted")
    text, digest = document(agreement)
    if document_sha256 != digest:
        _refuse("document_changed")
    acceptance = Acceptance(agreement=agreement, user=user, organisation_id=party_id, signer_name=user.name,
                            template=agreement.template, document_sha256=digest, accepted_dt=now,
                            remote_addr=(remote_addr or "")[:64])
    db.session.add(acceptance)
    db.session.flush()
    _tell("accepted", agreement, user, after={"party": party_id, "sha256": digest, "template_id": agreement.template_id})
    if not pending_parties(agreement):
        _sign(user, agreement, now)
    return acceptance


def _sign(user: User, agreement: PilotAgreement, now: datetime) -> None:
    """Signed: the held blocks are confirmed (a block whose hold was lost is booked again now)."""
    booker = next((a.user for a in agreement.valid_acceptances
                   if a.organisation_id == agreement.lead_organisation_id and a.user is not None), user)
    confirmed = []
    for block in agreement.blocks:
        reservation = block.reservation
        if reservation is not None and reservation.held_for == _held_for(agreement) and reservation.is_active:
            lock(reservation)
            decided(reservation, ReservationStatus.confirmed, user, now, None)
            reservation.held_for = None
            confirmed.append(reservation)
    if confirmed:
        tell("approved", confirmed, user, now=now, before={"status": ReservationStatus.pending},
             after={"agreement_id": agreement.id})
    book_blocks(booker, agreement, now, ReservationStatus.confirmed)
    before = agreement.status
    agreement.status = rules.next_status("sign", before)
    agreement.signed_dt = now
    _tell("signed", agreement, user, before={"status": before},
          after={"reservations": [b.reservation_id for b in agreement.blocks]},
          emails=_emails(_organisation_recipients(agreement) | _city_recipients(agreement), "signed", agreement))


def hold_blocks(user: User, agreement: PilotAgreement, now: datetime) -> list[Reservation]:
    """Approved: each block's time is held for the agreement (pending, decided with it) in the
    name of the member of the lead organisation who wrote it."""
    creator = db.session.get(User, agreement.created_by_id) if agreement.created_by_id else None
    booker = creator if creator is not None and rules.can_act_for(creator, agreement.lead_organisation_id) else user
    return book_blocks(booker, agreement, now, ReservationStatus.pending)


def book_blocks(booker: User, agreement: PilotAgreement, now: datetime,
                status: ReservationStatus) -> list[Reservation]:
    """Each block without active time becomes a reservation of the lead organisation (pending:
    held for the agreement; or confirmed), checked by the reservations domain (rules, closures,
    conflicts, the database's no-overlap guarantee) and priced by pricing. One refusal refuses
    all: the caller's unit of work rolls back."""
    made = []
    organisation = agreement.lead_organisation
    for block in agreement.blocks:
        if block.reservation is not None and block.reservation.is_active:
            continue
        facility = block.facility
        terms = facility.current_terms
        values = {"title": f"{agreement.title}"[:200], "purpose": agreement.description[:2000], "attendees": 1,
                  "answers": {}}
        if terms is not None:  # the facility's terms are part of what the parties accepted
            values.update(accepted_terms_id=terms.id, accepted_terms_dt=now)
        try:
            [reservation] = book(booker, facility, organisation, [Candidate(block.start_dt, block.end_dt)], now=now,
                                 values=values, status=status)
        except DomainError as exc:
            reasons = exc.messages + [m for msgs in exc.field_messages.values() for m in msgs]
            raise type(exc)(*[Message("agreement.block_unavailable", facility=facility.name, start=block.start_dt,
                                      tz=facility.timezone, reason=r) for r in reasons],
                            extra=exc.extra) from None
        if status == ReservationStatus.pending:
            reservation.held_for, reservation.decision_deadline_dt = _held_for(agreement), None
        block.reservation = reservation
        made.append(reservation)
    db.session.flush()
    if made:
        tell("created", made, booker, now=now, after={"agreement_id": agreement.id})
    return made


def block_prices(agreement: PilotAgreement, tariffs=None) -> list[BlockPrice]:
    """What each block costs the lead organisation and what the city gives: the booked price
    once signed, else a quote by pricing (with the actor type's discounts, e.g. startups').
    `tariffs`: a pricing.tariff_finder for the blocks' facilities (a list of agreements reads
    their tariffs once), else each block's tariff is looked up."""
    found = []
    for block in agreement.blocks:
        kept = block.reservation.price if block.reservation is not None else None
        if kept is not None:
            found.append(BlockPrice(block, kept.gross_cents, kept.subsidy_cents))
            continue
        tariff = tariffs(block.facility, block.start_dt) if tariffs else None
        quote = None
        if tariff is not None or tariffs is None:  # the finder knows when there is no tariff: no price
            try:
                quote = pricing.quote_for(block.facility, agreement.lead_organisation, block.start_dt,
                                          block.end_dt, tariff=tariff)
            except DomainError:
                pass
        found.append(BlockPrice(block, quote.gross_cents if quote else None, quote.subsidy_cents if quote else 0))
    return found


# --- review ---------------------------------------------------------------------------------------

def assign_reviewer(user: User, agreement: PilotAgreement, reviewer: User) -> Review:
    """The host department (or an admin) asks a colleague of any department concerned."""
    _require(rules.can_decide_agreement(user, agreement))
    if reviewer.role not in (Role.admin, Role.facility_manager):
        _refuse("reviewer_not_staff", "reviewer")
    found = next((r for r in agreement.reviews if r.reviewer_id == reviewer.id), None)
    if found is not None:
        return found
    review = Review(agreement=agreement, reviewer=reviewer,
                    department=reviewer.departments[0] if reviewer.departments else None)
    db.session.add(review)
    db.session.flush()
    _tell("reviewer_assigned", agreement, user, after={"reviewer_id": reviewer.id})
    return review


def recommend(user: User, agreement: PilotAgreement, recommendation: Recommendation, *, scores=(),
              comment: str = "", now: datetime | None = None) -> Review:
    """A reviewer's recommendation, with scores per challenge criterion and a comment in the thread."""
    now = now_or(now)
    _require(rules.can_review_agreement(user, agreement), "not_a_reviewer")
    criteria = agreement.challenge.criteria if agreement.challenge else []
    scores = list(scores or [])
    if scores and (len(scores) != len(criteria) or any(not 0 <= s <= rules.MAX_SCORE for s in scores)):
        _refuse("scores_invalid", "scores", max=rules.MAX_SCORE)
    review = next((r for r in agreement.reviews if r.reviewer_id == user.id), None)
    if review is None:
        review = Review(agreement=agreement, reviewer=user,
                        department=user.departments[0] if user.departments else None)
        db.session.add(review)
    review.recommendation, review.scores, review.recommended_dt = recommendation, scores, now
    if comment.strip():
        db.session.add(Comment(agreement=agreement, author=user, body=comment.strip()[:rules.MAX_TEXT], created_dt=now))
    db.session.flush()
    _tell("recommended", agreement, user, after={"recommendation": recommendation, "scores": scores})
    return review


def add_comment(user: User, agreement: PilotAgreement, body: str, *, now: datetime | None = None) -> Comment:
    _require(rules.can_comment(user, agreement))
    body = (body or "").strip()
    if not body:
        _refuse("comment_required", "body")
    comment = Comment(agreement=agreement, author=user, body=body[:rules.MAX_TEXT], created_dt=now_or(now))
    db.session.add(comment)
    db.session.flush()
    publish(Event("agreement.commented", agreement, actor=user, department_id=agreement.host_department_id,
                  after={"comment_id": comment.id}))
    return comment


def score_of(agreement: PilotAgreement) -> float | None:
    criteria = agreement.challenge.criteria if agreement.challenge else []
    return rules.weighted_score(criteria, [r.scores for r in agreement.reviews if r.scores])


# --- after the pilot -------------------------------------------------------------------------------

REPORT_FIELDS = ("kpi_results", "worked", "failed", "lessons", "scalable", "stays")


def file_report(user: User, agreement: PilotAgreement, *, kpi_results: str, worked: str = "", failed: str = "",
                lessons: str = "", scalable: bool = False, stays: bool = False,
                now: datetime | None = None) -> OutcomeReport:
    """The lead organisation's outcome report (filed again until it is accepted)."""
    now = now_or(now)
    _require(rules.is_lead_member(user, agreement))
    if agreement.status != A.active:
        _refuse("report_not_active")
    if not (kpi_results or "").strip():
        _refuse("kpi_results_required", "kpi_results")
    report = agreement.report or OutcomeReport(agreement=agreement)
    for name, value in (("kpi_results", kpi_results), ("worked", worked), ("failed", failed), ("lessons", lessons)):
        setattr(report, name, (value or "").strip()[:rules.MAX_TEXT])
    report.scalable, report.stays, report.filed_dt, report.filed_by_id = scalable, stays, now, user.id
    db.session.add(report)
    db.session.flush()
    _tell("report_filed", agreement, user, after={"report_id": report.id},
          emails=_emails(_city_recipients(agreement), "report_due", agreement, filed=True))
    return report


def accept_report(user: User, agreement: PilotAgreement, *, assessment: str = "",
                  now: datetime | None = None) -> PilotAgreement:
    """The pilot manager's city-side assessment accepts the report: the pilot is completed (and
    the final milestone of the fee released)."""
    now = now_or(now)
    _require(rules.can_decide_agreement(user, agreement) or rules.is_pilot_manager(user, agreement))
    if agreement.status != A.active or agreement.report is None:
        _refuse("report_required")
    agreement.report.city_assessment = (assessment or "").strip()[:rules.MAX_TEXT]
    agreement.report.accepted_dt, agreement.report.accepted_by_id = now, user.id
    before = agreement.status
    agreement.status = rules.next_status("complete", before)
    agreement.ended_dt = now
    _tell("complete", agreement, user, before={"status": before},
          after={"fee_released_cents": agreement.pilot_fee_cents - agreement.fee_at_signing_cents})
    return agreement


# --- templates and challenges ----------------------------------------------------------------------

def save_template(user: User | None, name: str, body: str, clauses: dict | None = None, *,
                  translations: dict | None = None, now: datetime | None = None) -> AgreementTemplate:
    """A new version of the named template (the one it replaces is kept, never edited).
    `translations`: the name and body in the other languages, for reading; the document the
    parties accept is rendered from `body` (the content language's), one text for every party.
    Left out (None), the previous version's are kept."""
    now = now_or(now)
    if user is not None:
        _require(rules.can_manage_templates(user))
    errors = {}
    if not (name or "").strip():
        errors["name"] = [Message("template.name_required")]
    if not (body or "").strip():
        errors["body"] = [Message("template.body_required")]
    if errors:
        raise RuleViolation(field_errors=errors)
    name = name.strip()[:200]
    previous = db.session.scalar(select(AgreementTemplate).where(AgreementTemplate.name == name)
                                 .order_by(AgreementTemplate.version.desc()).limit(1))
    for old in db.session.scalars(select(AgreementTemplate).where(AgreementTemplate.superseded_dt.is_(None))):
        old.superseded_dt = now
    template = AgreementTemplate(name=name, version=(previous.version + 1) if previous else 1, body=body,
                                 clauses=clauses if clauses is not None else (previous.clauses if previous else {}),
                                 created_by_id=getattr(user, "id", None), created_dt=now,
                                 translations=clean_translations(translations, AgreementTemplate.TRANSLATABLE)
                                 if translations is not None else dict(previous.translations or {}) if previous else {})
    db.session.add(template)
    db.session.flush()
    publish(Event("agreement_template.saved", template, actor=user, after={"name": name, "version": template.version}))
    return template


@dataclass
class ChallengeInput:
    title: str
    need: str
    period_start_date: date
    period_end_date: date
    deadline_dt: datetime
    criteria: list[dict]
    offer: str = ""
    facilities: list[Facility] = field(default_factory=list)
    pilot_fee_cents: int | None = None
    contact_email: str = ""
    # The texts in the other languages: {"fi": {"title": …, "need": …, "offer": …}, …} (booking.content).
    translations: dict | None = None


def create_challenge(user: User, department: Department, data: ChallengeInput, *,
                     now: datetime | None = None) -> Challenge:
    """A department's open call, public at once."""
    now = now_or(now)
    _require(rules.can_manage_challenges(user, department.id))
    errors: dict[str, list[Message]] = {}
    if any(f.department_id != department.id for f in data.facilities):
        errors["facilities"] = [Message("agreement.block_other_department", department=department.name)]
    for name in ("title", "need"):
        if not (getattr(data, name) or "").strip():
            errors[name] = [Message(f"challenge.{name}_required")]
    for missing in rules.criteria_problems(data.criteria) + rules.period_problems(
            data.period_start_date, data.period_end_date, now.date()):
        errors.setdefault(missing.field, []).append(Message(f"challenge.{missing.code}"))
    if errors:
        raise RuleViolation(field_errors=errors)
    challenge = Challenge(department=department, title=data.title.strip()[:200], need=data.need.strip(),
                          offer=data.offer.strip(), period_start_date=data.period_start_date,
                          period_end_date=data.period_end_date, deadline_dt=data.deadline_dt,
                          criteria=[{"name": str(c["name"]).strip()[:200], "weight": int(c["weight"])}
                                    for c in data.criteria],
                          facilities=list(data.facilities), pilot_fee_cents=data.pilot_fee_cents,
                          contact_email=data.contact_email.strip(), created_dt=now,
                          translations=clean_translations(data.translations, Challenge.TRANSLATABLE))
    db.session.add(challenge)
    db.session.flush()
    publish(Event("challenge.published", challenge, actor=user, department_id=department.id,
                  after={"title": challenge.title, "deadline_dt": challenge.deadline_dt}))
    return challenge


# --- queries ---------------------------------------------------------------------------------------

# What agreement_out reads of each agreement, loaded for a whole page at once.
AGREEMENT_IN_FULL = (
    selectinload(PilotAgreement.lead_organisation), selectinload(PilotAgreement.partners),
    selectinload(PilotAgreement.host_department), selectinload(PilotAgreement.challenge),
    selectinload(PilotAgreement.template), selectinload(PilotAgreement.report),
    selectinload(PilotAgreement.acceptances).selectinload(Acceptance.template),
    selectinload(PilotAgreement.blocks).selectinload(AgreementBlock.facility),
    selectinload(PilotAgreement.blocks).selectinload(AgreementBlock.reservation).selectinload(Reservation.price))


def visible_agreements(user: User):
    """What the user may see: their organisations' agreements, their departments' (and, for
    admins, every) submitted ones, and those they review; newest first."""
    stmt = select(PilotAgreement).order_by(PilotAgreement.id.desc())
    if user.role == Role.admin:
        org_ids = [m.organisation_id for m in user.memberships]
        return stmt.where(or_(PilotAgreement.status != A.draft, PilotAgreement.lead_organisation_id.in_(org_ids)))
    org_ids = [m.organisation_id for m in user.memberships] or [-1]
    own = or_(PilotAgreement.lead_organisation_id.in_(org_ids),
              PilotAgreement.partners.any(Organisation.id.in_(org_ids)))
    staff = (PilotAgreement.status != A.draft) & or_(
        PilotAgreement.host_department_id.in_(user.department_ids or [-1]),
        PilotAgreement.reviews.any(Review.reviewer_id == user.id))
    return stmt.where(or_(own, staff))


def review_queue(user: User):
    """Submitted or in-review agreements the user may decide or review, by decision deadline."""
    return (visible_agreements(user).where(PilotAgreement.status.in_([A.submitted, A.in_review]))
            .order_by(None).order_by(PilotAgreement.decision_deadline_dt, PilotAgreement.id))


def registry():
    """The public pilot registry: completed pilots, and running ones whose parties consented."""
    return (select(PilotAgreement)
            .where(or_(PilotAgreement.status == A.completed,
                       (PilotAgreement.status == A.active) & PilotAgreement.registry_consent.is_(True)))
            .order_by(PilotAgreement.end_date.desc(), PilotAgreement.id.desc()))


def public_challenges():
    return select(Challenge).order_by(Challenge.deadline_dt.desc(), Challenge.id.desc())


def portfolio() -> dict[AgreementStatus, int]:
    rows = db.session.execute(select(PilotAgreement.status, func.count()).group_by(PilotAgreement.status))
    return {status: count for status, count in rows}


def fee_milestones(agreement: PilotAgreement) -> list[rules.FeeMilestone]:
    """The pilot fee's milestones, released by the signing and by accepting the outcome report."""
    report = agreement.report
    return rules.fee_milestones(agreement.pilot_fee_cents, agreement.fee_at_signing_cents, agreement.signed_dt,
                                report.accepted_dt if report is not None else None)


@dataclass(frozen=True)
class FeeTotals:
    committed_cents: int    # the fees of signed, running and completed pilots; of terminated ones, what was released
    released_cents: int     # the milestones released so far (due for payment)


def fee_totals() -> FeeTotals:
    """The pilot fees the city has committed to by signing, and how much of them it has released."""
    stmt = (select(PilotAgreement).where(PilotAgreement.signed_dt.is_not(None), PilotAgreement.pilot_fee_cents > 0)
            .options(selectinload(PilotAgreement.report)))
    committed = released = 0
    for agreement in db.session.scalars(stmt):
        for milestone in fee_milestones(agreement):
            if milestone.due is not None:
                released += milestone.amount_cents
            if milestone.due is not None or agreement.status != A.terminated:
                committed += milestone.amount_cents
    return FeeTotals(committed, released)


@dataclass(frozen=True)
class LeadTime:
    decided: int                     # agreements approved or declined after a submission
    median_minutes: int | None       # first submission → decision


def decision_lead_time() -> LeadTime:
    """The portfolio's decision lead time: the median of the stored hours from first submission
    to approval or decline (a request for changes does not stop the clock)."""
    from statistics import median
    hours = db.session.scalars(select(PilotAgreement.lead_time_hours)
                               .where(PilotAgreement.lead_time_hours.is_not(None))).all()
    return LeadTime(len(hours), int(median(hours) * 60) if hours else None)


# --- jobs ------------------------------------------------------------------------------------------

def flag_overdue(now: datetime | None = None) -> int:
    """Submitted agreements past their decision deadline: escalated once to the city's admins."""
    now = now_or(now)
    stmt = select(PilotAgreement).where(PilotAgreement.status.in_([A.submitted, A.in_review]),
                                        PilotAgreement.decision_deadline_dt < now,
                                        PilotAgreement.escalated_dt.is_(None)).with_for_update()
    count = 0
    admins = {u.email: u.locale for u in db.session.scalars(
        select(User).where(User.role == Role.admin, User.active.is_(True)))}
    for agreement in db.session.scalars(stmt):
        agreement.escalated_dt = now
        _tell("escalated", agreement, None, emails=_emails(admins | _city_recipients(agreement), "overdue", agreement))
        count += 1
    return count


def remind_reports(now: datetime | None = None) -> int:
    """Running pilots that end within a week and have no report yet: the lead organisation is
    reminded once (the event marks it done)."""
    now = now_or(now)
    soon = (now + timedelta(days=7)).date()
    stmt = select(PilotAgreement).where(PilotAgreement.status == A.active, PilotAgreement.end_date <= soon,
                                        ~PilotAgreement.report.has())
    count = 0
    from booking.audit.models import AuditEvent
    for agreement in db.session.scalars(stmt):
        done = db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.object_type == "PilotAgreement", AuditEvent.object_id == agreement.id,
            AuditEvent.action == "agreement.report_due").limit(1))
        if done:
            continue
        _tell("report_due", agreement, None, emails=_emails(_organisation_recipients(agreement), "report_due", agreement))
        count += 1
    return count


def _lead_and_manager(agreement: PilotAgreement) -> dict[str, str | None]:
    found = _organisation_recipients(agreement, [agreement.lead_organisation])
    if agreement.pilot_manager is not None:
        found.setdefault(agreement.pilot_manager.email, agreement.pilot_manager.locale)
    return found or _city_recipients(agreement)


def _remind_once(kind: str, column, where, recipients, now: datetime) -> int:
    """One reminder per agreement: those matching `where` not yet reminded are marked and told."""
    stmt = select(PilotAgreement).where(column.is_(None), *where).with_for_update()
    count = 0
    for agreement in db.session.scalars(stmt):
        setattr(agreement, column.key, now)
        _tell(kind, agreement, None, emails=_emails(recipients(agreement), kind, agreement))
        count += 1
    return count


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """The scheduled reminders of pilot agreements, each sent once per agreement:
    - report_due: active, ending within 7 days, no outcome report (to the parties);
    - insurance_expiring: signed or active, the insurance expires within 14 days or before the
      pilot's last day (to the lead organisation and the pilot manager);
    - ending: active, ending within 7 days (to the parties and the city);
    - restore_site: active or completed, past its last day: the site is to be removed and
      restored as agreed (to the lead organisation and the pilot manager)."""
    now = now_or(now)
    today = now.date()
    P = PilotAgreement
    return {
        "report_due": remind_reports(now),
        "insurance_expiring": _remind_once(
            "insurance_expiring", P.insurance_reminded_dt,
            [P.status.in_([A.signed, A.active]), P.insurance_expiry_date.is_not(None),
             or_(P.insurance_expiry_date <= today + timedelta(days=14), P.insurance_expiry_date < P.end_date)],
            _lead_and_manager, now),
        "ending": _remind_once(
            "ending", P.ending_reminded_dt, [P.status == A.active, P.end_date <= today + timedelta(days=7)],
            lambda a: _organisation_recipients(a) | _city_recipients(a), now),
        "restore_site": _remind_once(
            "restore_site", P.restore_reminded_dt, [P.status.in_([A.active, A.completed]), P.end_date < today],
            _lead_and_manager, now),
    }


def get_agreement(agreement_id: int) -> PilotAgreement | None:
    return db.session.get(PilotAgreement, agreement_id) if 0 < agreement_id < 2**31 else None


def local_day_start(facility: Facility, day: date) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(facility.timezone))


@dataclass(frozen=True)
class AgreementFigures:
    """What waits for the city in one department's pilot agreements."""
    to_decide: int = 0          # submitted or in review
    overdue: int = 0            # of them, past their decision deadline
    reports_to_accept: int = 0  # outcome reports filed and not yet accepted


def agreements_needing_action(*, now: datetime) -> dict[int, AgreementFigures]:
    """Per host department id, in one grouped query (the admin's city overview)."""
    to_decide = PilotAgreement.status.in_([A.submitted, A.in_review])
    report_waiting = OutcomeReport.id.is_not(None) & OutcomeReport.accepted_dt.is_(None)

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
    stmt = (select(PilotAgreement.host_department_id, total(to_decide),
                   total(to_decide & (PilotAgreement.decision_deadline_dt < now)), total(report_waiting))
            .outerjoin(OutcomeReport, OutcomeReport.agreement_id == PilotAgreement.id)
            .where(to_decide | report_waiting)
            .group_by(PilotAgreement.host_department_id))
    return {row[0]: AgreementFigures(*(int(v) for v in row[1:])) for row in db.session.execute(stmt)}
