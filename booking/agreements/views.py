"""Pilot agreement pages: proposals, review, acceptance, outcome reports, the city's challenges,
templates (admins) and the public pilot registry.

Every route: load or 404 (also when the user may not see it) → can_* or 403 → form → one
service call in one unit of work.
"""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from booking import navigation, panels
from booking.audit import links as audit_links
from booking.agreements import personal  # noqa: F401  (registers its part of a person's data)
from booking.accounts.models import Department, Organisation, Role, User
from booking.agreements import rules, services
from booking.agreements.forms import (AcceptForm, AgreementForm, AssessmentForm, AssignForm, ChallengeForm,
                                      CommentForm, ReasonForm, ReportForm, ReviewForm, TemplateForm, euros_to_cents,
                                      parse_criteria)
from booking.agreements.messages import (IP_LABELS, LIABILITY_LABELS, PUBLICITY_LABELS, RECOMMENDATION_LABELS,
                                         STATUS_LABELS, TRANSITION_LABELS)
from booking.agreements.models import (AgreementStatus, AgreementTemplate, Challenge, IPRights, Liability,
                                       PilotAgreement, Publicity, Recommendation)
from booking.api.pagination import paginate
from booking.database import utcnow
from booking.errors import DomainError
from booking.extensions import db
from booking.facilities.availability import local_instant
from booking.facilities.models import Facility, FacilityStatus
from booking.site import attempt, flash_errors
from booking.unit_of_work import unit_of_work

bp = Blueprint("agreements", __name__)

audit_links.register("PilotAgreement", _l("Pilot agreement"), "agreements.detail", "agreement_id")
audit_links.register("Challenge", _l("Challenge"), "agreements.challenge", "challenge_id")
A = AgreementStatus
PER_PAGE = 50


def _has_agreements(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.role in (Role.admin, Role.facility_manager) or bool(user.memberships))


navigation.add("agreements.challenges", _l("Challenges"), order=30)
navigation.add("agreements.registry", _l("Pilots"), order=31)
navigation.add("agreements.index", _l("Agreements"), visible=_has_agreements, order=44)


@bp.record_once
def _template_globals(state):
    state.app.jinja_env.globals.update(
        agreement_status_labels=STATUS_LABELS, transition_labels=TRANSITION_LABELS,
        liability_labels=LIABILITY_LABELS, ip_labels=IP_LABELS, publicity_labels=PUBLICITY_LABELS,
        recommendation_labels=RECOMMENDATION_LABELS)


def _agreements_panel(organisation=None, **page) -> dict:
    if organisation is None:
        return {"pilot_agreements": []}
    stmt = (select(PilotAgreement).where(PilotAgreement.lead_organisation_id == organisation.id)
            .order_by(PilotAgreement.id.desc()).limit(10))
    return {"pilot_agreements": list(db.session.scalars(stmt))}


panels.register("organisation_reservations", "agreements", "agreements/_organisation_panel.html",
                _agreements_panel, order=40)
panels.register("inbox", "agreements", "agreements/_inbox_panel.html",
                lambda **page: {"review_queue": list(db.session.scalars(services.review_queue(current_user)))},
                order=40)


# --- loading ----------------------------------------------------------------------------------------

def _agreement(agreement_id: int) -> PilotAgreement:
    """The agreement if the user may see it; 404 otherwise (another organisation's draft exists
    for nobody else)."""
    agreement = services.get_agreement(agreement_id)
    if agreement is None or not rules.can_view_agreement(current_user, agreement):
        abort(404)
    return agreement


def _me() -> User:
    return current_user._get_current_object()


# --- public: challenges and the registry ------------------------------------------------------------

@bp.get("/challenges")
def challenges():
    found = list(db.session.scalars(services.public_challenges()))
    now = utcnow()
    return render_template("agreements/challenges.html", open_=[c for c in found if c.is_open(now)],
                           closed=[c for c in found if not c.is_open(now)], now=now,
                           can_create=bool(current_user.is_authenticated
                                           and current_user.role in (Role.admin, Role.facility_manager)))


@bp.get("/challenges/<int:challenge_id>")
def challenge(challenge_id: int):
    found = db.session.get(Challenge, challenge_id) if challenge_id < 2**31 else None
    if found is None:
        abort(404)
    now = utcnow()
    manages = rules.can_manage_challenges(current_user, found.department_id)
    proposals = [(p, services.score_of(p)) for p in found.proposals if p.status != A.draft] if manages else []
    proposals.sort(key=lambda pair: -(pair[1] or 0))
    return render_template("agreements/challenge.html", challenge=found, now=now, proposals=proposals,
                           can_propose=bool(current_user.is_authenticated and current_user.memberships
                                            and found.is_open(now)))


@bp.route("/challenges/new", methods=["GET", "POST"])
@login_required
def challenge_new():
    departments = [d for d in db.session.scalars(select(Department).order_by(Department.name))
                   if rules.can_manage_challenges(current_user, d.id)]
    if not departments:
        abort(403)
    form = ChallengeForm()
    form.department.choices = [(d.id, d.name) for d in departments]
    facilities = db.session.scalars(select(Facility).where(Facility.status == FacilityStatus.published)
                                    .order_by(Facility.name)).all()
    form.facilities.choices = [(f.id, f.name) for f in facilities]
    if form.validate_on_submit():
        department = next(d for d in departments if d.id == form.department.data)
        zone = ZoneInfo("Europe/Helsinki")
        data = services.ChallengeInput(
            title=form.title.data, need=form.need.data, offer=form.offer.data or "",
            period_start_date=form.period_start_date.data, period_end_date=form.period_end_date.data,
            deadline_dt=local_instant(form.deadline_date.data + timedelta(days=1), time(0), zone),
            criteria=parse_criteria(form.criteria.data),
            facilities=[f for f in facilities if f.id in (form.facilities.data or [])],
            pilot_fee_cents=euros_to_cents(form.pilot_fee.data), contact_email=form.contact_email.data or "",
            translations=form.translations())
        ok, made = attempt(services.create_challenge, _me(), department, data, form=form)
        if ok:
            flash(_("The challenge is published."), "success")
            return redirect(url_for("agreements.challenge", challenge_id=made.id))
    return render_template("agreements/challenge_form.html", form=form)


@bp.get("/pilots")
def registry():
    page = request.args.get("page", 1, type=int) or 1
    items, total = paginate(services.registry(), max(page, 1), PER_PAGE)
    return render_template("agreements/registry.html", pilots=items, total=total, page=page, per_page=PER_PAGE)


# --- agreements -------------------------------------------------------------------------------------

@bp.get("/agreements")
@login_required
def index():
    if not _has_agreements(current_user):
        abort(403)
    items, total = paginate(services.visible_agreements(current_user), 1, 200)
    queue = list(db.session.scalars(services.review_queue(current_user))) \
        if current_user.role in (Role.admin, Role.facility_manager) else []
    admin = current_user.role == Role.admin
    portfolio = services.portfolio() if admin else None
    return render_template("agreements/index.html", agreements=items, total=total, queue=queue,
                           portfolio=portfolio, lead_time=services.decision_lead_time() if admin else None,
                           fees=services.fee_totals() if admin else None, now=utcnow())


def _fill_choices(form: AgreementForm, challenge: Challenge | None, lead_id: int, blocks=()) -> list[Facility]:
    """The facilities a row may choose (the challenge's, else every published one, and those the
    agreement's `blocks` already use) and the partner organisations."""
    stmt = select(Facility).where(Facility.status == FacilityStatus.published).order_by(Facility.name)
    facilities = list(challenge.facilities) if challenge and challenge.facilities else db.session.scalars(stmt).all()
    facilities += [f for f in dict.fromkeys(b.facility for b in blocks) if f not in facilities]
    choices = [("", _("Choose a facility"))] + [(f.id, f.name) for f in facilities]
    for entry in form.blocks:
        entry.form.facility.choices = choices
    form.partners.choices = [(o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
                             if o.id != lead_id]
    return facilities


def _input(form: AgreementForm, facilities: list[Facility], rows) -> services.AgreementInput:
    """The service's input from the form; `rows` are the filled facility-time rows, in order."""
    by_id = {f.id: f for f in facilities}
    blocks = []
    for row in rows:
        facility = by_id[row.facility.data]
        zone = ZoneInfo(facility.timezone)
        blocks.append(services.BlockInput(facility, local_instant(row.start_date.data, row.start_time.data, zone),
                                          local_instant(row.end_date.data, row.end_time.data, zone)))
    partners = db.session.scalars(select(Organisation).where(Organisation.id.in_(form.partners.data or []))).all()
    return services.AgreementInput(
        title=form.title.data, need=form.need.data or "", description=form.description.data or "",
        start_date=form.start_date.data, end_date=form.end_date.data, kpis=form.kpis.data or "",
        data_collected=form.data_collected.data or "", data_legal_basis=form.data_legal_basis.data or "",
        data_users=form.data_users.data or "", insurer=form.insurer.data or "",
        insurance_policy=form.insurance_policy.data or "",
        insurance_coverage_cents=euros_to_cents(form.insurance_coverage.data),
        insurance_expiry_date=form.insurance_expiry_date.data, liability=Liability(form.liability.data),
        ip_rights=IPRights(form.ip_rights.data), publicity=Publicity(form.publicity.data),
        terms_addition=form.terms_addition.data or "", removal=form.removal.data or "",
        pilot_fee_cents=euros_to_cents(form.pilot_fee.data) or 0,
        fee_at_signing_cents=euros_to_cents(form.fee_at_signing.data) or 0,
        registry_consent=form.registry_consent.data, partners=list(partners), blocks=blocks)


def _save(action, form: AgreementForm, facilities: list[Facility], *args, **kwargs):
    """Create or update from the form in one unit of work; a refusal's reasons go to the rows
    and fields they concern."""
    rows = form.used_rows()
    try:
        with unit_of_work():
            return True, action(*args, _input(form, facilities, rows), **kwargs)
    except DomainError as exc:
        form.place_block_errors(exc.field_messages, rows)
        flash_errors(exc, form)
        return False, None


def _acting_organisation() -> Organisation | None:
    if current_user.current_organisation is not None:
        return current_user.current_organisation
    return current_user.memberships[0].organisation if current_user.memberships else None


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required
def new():
    organisation = _acting_organisation()
    if organisation is None:
        abort(403)
    challenge_id = request.args.get("challenge", type=int)
    challenge_ = db.session.get(Challenge, challenge_id) if challenge_id and challenge_id < 2**31 else None
    form = AgreementForm()
    changed = request.method == "POST" and form.change_rows(request.form)
    facilities = _fill_choices(form, challenge_, organisation.id)
    if request.method == "GET" and challenge_ is not None:
        form.start_date.data, form.end_date.data = challenge_.period_start_date, challenge_.period_end_date
    if not changed and form.validate_on_submit():
        ok, made = _save(services.create_agreement, form, facilities, _me(), organisation, challenge=challenge_)
        if ok:
            flash(_("The draft is saved. Submit it when it is complete."), "success")
            return redirect(url_for("agreements.detail", agreement_id=made.id))
    return render_template("agreements/form.html", form=form, challenge=challenge_, organisation=organisation,
                           agreement=None)


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@login_required
def edit(agreement_id: int):
    agreement = _agreement(agreement_id)
    if not rules.can_edit_agreement(current_user, agreement):
        abort(403)
    form = AgreementForm(obj=agreement if request.method == "GET" else None)
    changed = request.method == "POST" and form.change_rows(request.form)
    if request.method == "GET":
        form.load_blocks(agreement.blocks)
        form.partners.data = [p.id for p in agreement.partners]
        form.liability.data, form.ip_rights.data = agreement.liability.value, agreement.ip_rights.value
        form.publicity.data = agreement.publicity.value
        form.pilot_fee.data = agreement.pilot_fee_cents / 100
        form.fee_at_signing.data = agreement.fee_at_signing_cents / 100
        if agreement.insurance_coverage_cents is not None:
            form.insurance_coverage.data = agreement.insurance_coverage_cents / 100
    facilities = _fill_choices(form, agreement.challenge, agreement.lead_organisation_id, agreement.blocks)
    if not changed and form.validate_on_submit():
        was_signed = bool(agreement.valid_acceptances)
        ok, _result = _save(services.update_agreement, form, facilities, _me(), agreement)
        if ok:
            flash(_("Saved. The signatures given so far are void and the agreement is reviewed again.")
                  if was_signed else _("Saved."), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    return render_template("agreements/form.html", form=form, challenge=agreement.challenge,
                           organisation=agreement.lead_organisation, agreement=agreement)


def _party_label(agreement: PilotAgreement, party_id: int | None) -> str:
    if party_id is None:
        return _("The city (%(department)s)", department=agreement.host_department.name)
    return next(o.name for o in agreement.organisations if o.id == party_id)


@bp.get("/agreements/<int:agreement_id>")
@login_required
def detail(agreement_id: int):
    agreement = _agreement(agreement_id)
    user = current_user
    text, digest = services.document(agreement)
    accept_form = None
    pending = services.pending_parties(agreement)
    mine = [p for p in rules.parties_for(user, agreement) if p in pending]
    if agreement.status == A.approved and mine:
        accept_form = AcceptForm(document_sha256=digest)
        accept_form.party.choices = [("" if p is None else str(p), _party_label(agreement, p)) for p in mine]
    transitions = [name for name in rules.allowed_transitions(agreement.status)
                   if name not in ("sign", "reopen", "complete") and rules.can_transition(user, agreement, name)]
    assign_form = None
    if rules.can_decide_agreement(user, agreement) and agreement.status in rules.DECIDABLE:
        assign_form = AssignForm()
        staff = db.session.scalars(select(User).where(User.role.in_([Role.admin, Role.facility_manager]),
                                                      User.active.is_(True)).order_by(User.name))
        assign_form.reviewer.choices = [(u.id, u.name) for u in staff]
    return render_template(
        "agreements/detail.html", agreement=agreement, document_text=text, digest=digest,
        prices=services.block_prices(agreement), fee_milestones=services.fee_milestones(agreement),
        accept_form=accept_form,
        parties=[(p, _party_label(agreement, p), next((a for a in agreement.valid_acceptances
                                                        if a.organisation_id == p), None))
                 for p in services.party_ids(agreement)],
        transitions=transitions, reason_form=ReasonForm(), can_edit=rules.can_edit_agreement(user, agreement),
        report_form=ReportForm(obj=agreement.report) if rules.can_report(user, agreement) else None,
        assessment_form=AssessmentForm() if rules.can_accept_report(user, agreement) else None,
        review_form=ReviewForm() if rules.can_review_agreement(user, agreement) else None,
        assign_form=assign_form, comment_form=CommentForm() if rules.can_comment(user, agreement) else None,
        score=services.score_of(agreement), now=utcnow(),
        panels=panels.render("agreement", agreement=agreement) if any(b.reservation_id for b in agreement.blocks)
        else {},
        is_staff=rules.can_decide_agreement(user, agreement) or rules.is_reviewer(user, agreement))


@bp.get("/agreements/<int:agreement_id>/document")
@login_required
def document(agreement_id: int):
    agreement = _agreement(agreement_id)
    text, digest = services.document(agreement)
    if not text:
        abort(404)
    return render_template("agreements/document.html", agreement=agreement, document_text=text, digest=digest)


@bp.post("/agreements/<int:agreement_id>/accept")
@login_required
def accept(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = AcceptForm()
    form.party.choices = [("" if p is None else str(p), "") for p in rules.parties_for(current_user, agreement)]
    if not form.validate_on_submit():
        flash(_("Tick the box to accept the agreement."), "error")
        return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    party = int(form.party.data) if form.party.data else None
    ok, _result = attempt(services.accept, _me(), agreement, party, document_sha256=form.document_sha256.data or "",
                       remote_addr=request.remote_addr or "")
    if ok:
        flash(_("Accepted. The pilot is signed and its facility time booked.") if agreement.status == A.signed
              else _("Accepted. The agreement is signed when every party has accepted it."), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/report")
@login_required
def report(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = ReportForm()
    if form.validate_on_submit():
        ok, _result = attempt(services.file_report, _me(), agreement, kpi_results=form.kpi_results.data,
                           worked=form.worked.data or "", failed=form.failed.data or "", lessons=form.lessons.data or "",
                           scalable=form.scalable.data, stays=form.stays.data)
        if ok:
            flash(_("The outcome report is filed. The pilot manager reviews it."), "success")
    else:
        flash(_("Give the results against each KPI."), "error")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/accept-report")
@login_required
def accept_report(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = AssessmentForm()
    if form.validate_on_submit():
        ok, _result = attempt(services.accept_report, _me(), agreement, assessment=form.assessment.data or "")
        if ok:
            flash(_("The report is accepted and the pilot completed. It appears in the public registry."), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/reviewers")
@login_required
def assign(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = AssignForm()
    form.reviewer.choices = [(int(request.form.get("reviewer", 0) or 0), "")]
    reviewer = db.session.get(User, form.reviewer.data) if form.validate_on_submit() else None
    if reviewer is None:
        abort(400)
    ok, _result = attempt(services.assign_reviewer, _me(), agreement, reviewer)
    if ok:
        flash(_("%(name)s reviews the proposal.", name=reviewer.name), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/review")
@login_required
def review(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            scores = [int(s) for s in (form.scores.data or "").replace(" ", "").split(",") if s]
        except ValueError:
            scores = [-1]
        ok, _result = attempt(services.recommend, _me(), agreement, Recommendation(form.recommendation.data),
                           scores=scores, comment=form.comment.data or "")
        if ok:
            flash(_("Your recommendation is recorded."), "success")
    else:
        flash(_("Choose a recommendation."), "error")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/comment")
@login_required
def comment(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = CommentForm()
    if form.validate_on_submit():
        attempt(services.add_comment, _me(), agreement, form.body.data)
    return redirect(url_for("agreements.detail", agreement_id=agreement.id) + "#thread")


@bp.post("/agreements/<int:agreement_id>/<name>")
@login_required
def transition(agreement_id: int, name: str):
    agreement = _agreement(agreement_id)
    if name not in TRANSITION_LABELS:
        abort(404)
    if not rules.can_transition(current_user, agreement, name):
        abort(403)
    form = ReasonForm()
    if form.validate_on_submit():
        ok, _result = attempt(services.transition, _me(), agreement, name, reason=form.reason.data or "")
        if ok:
            flash(_("Done: the agreement is %(status)s.", status=STATUS_LABELS[agreement.status]), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


# --- templates (admins) -----------------------------------------------------------------------------

@bp.route("/manage/agreement-templates", methods=["GET", "POST"])
@login_required
def templates():
    if not rules.can_manage_templates(current_user):
        abort(403)
    current = services.current_template()
    form = TemplateForm(obj=current if request.method == "GET" else None)
    if request.method == "GET" and current is not None:
        form.set_translations(current)
    if form.validate_on_submit():
        ok, made = attempt(services.save_template, _me(), form.name.data, form.body.data,
                        translations=form.translations(), form=form)
        if ok:
            flash(_("Saved as version %(version)d. Agreements approved from now on use it.", version=made.version),
                  "success")
            return redirect(url_for("agreements.templates"))
    versions = db.session.scalars(select(AgreementTemplate).order_by(AgreementTemplate.id.desc())).all()
    return render_template("agreements/templates.html", form=form, versions=versions)


navigation.add("agreements.templates", _l("Agreement templates"), visible=rules.can_manage_templates, order=64,
               group="account")
