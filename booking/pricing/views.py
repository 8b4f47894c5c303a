"""Pricing pages: tariffs on the facility's manage area, prices and revenue for managers,
invoices (admins issue, credit and export; organisations see their own), the subsidy ledger.

Every route: log in → load or 404 → can_* or 403 → form → service in one unit of work.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import navigation, panels
from booking.audit import links as audit_links
from booking.accounts.forms import ACTOR_TYPE_LABELS, EmptyForm
from booking.accounts.models import Department
from booking.api.pagination import paginate
from booking.database import utcnow
from booking.errors import DomainError
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.forms import STATUS_LABELS
from booking.pricing import columns  # noqa: F401  (the facility CSV carries the base tariff)
from booking.pricing import invoicing, services, subsidy
from booking.pricing.forms import (RULE_LABELS, UNIT_LABELS, WEEKDAY_LABELS, CreditForm, IssueForm, ReportForm,
                                   TariffForm, time_of)
from booking.pricing.models import Invoice, Tariff
from booking.pricing.references import grouped, grouped_rf
from booking.pricing.rules import (can_issue_invoices, can_manage_tariffs, can_view_invoice, can_view_invoices,
                                   can_view_revenue, can_view_subsidy_ledger)
from booking.formatting import money
from booking.site import flash_errors
from booking.unit_of_work import unit_of_work

bp = Blueprint("pricing", __name__)

audit_links.register("Invoice", _l("Invoice"), "pricing.invoice", "invoice_id")
audit_links.register("Tariff", _l("Tariff"))

navigation.add("pricing.prices", _l("Prices"), visible=can_view_revenue, order=42)
navigation.add("pricing.invoices", _l("Invoices"), visible=can_view_invoices, order=60)
navigation.add("pricing.subsidies", _l("Subsidies"), visible=can_view_subsidy_ledger, order=62)


def _acting_organisation():
    """Whose price to show: the organisation the signed-in member acts for (None: the list price)."""
    if not current_user.is_authenticated:
        return None
    if current_user.current_organisation is not None:
        return current_user.current_organisation
    return current_user.memberships[0].organisation if current_user.memberships else None


def _price_from_text(found, organisation) -> str:
    price, unit = money(found.gross_cents), UNIT_LABELS[found.unit]
    if found.gross_cents == 0 and organisation is not None:
        return _("Free of charge for %(organisation)s", organisation=organisation.name)
    if organisation is not None:
        return _("From %(price)s %(unit)s for %(organisation)s", price=price, unit=unit, organisation=organisation.name)
    return _("From %(price)s %(unit)s (list price; discounts for associations and residents' groups)",
             price=price, unit=unit)


def _catalogue_prices(facilities, **page) -> dict[int, str]:
    organisation = _acting_organisation()
    return {fid: _price_from_text(found, organisation)
            for fid, found in services.prices_from(facilities, organisation).items()}


def _facility_price(facility, **page) -> dict:
    organisation = _acting_organisation()
    tariff = services.tariff_at(facility, utcnow())
    found = services.prices_from([facility], organisation).get(facility.id)
    return {"tariff": tariff, "price_text": _price_from_text(found, organisation) if found else None}


panels.register_card_facts("catalogue", "price", _catalogue_prices, order=10)
panels.register("facility", "price", "pricing/_facility_price.html", _facility_price, order=20)

ACTION_LABELS = {"tariff.created": _l("Created"), "tariff.updated": _l("Changed"),
                 "tariff.versioned": _l("New version"), "tariff.deleted": _l("Removed")}
PER_PAGE = 50


@bp.record_once
def _template_globals(state):
    """What templates/pricing/_macros.html reads, as globals: the macros work when imported
    without context, from any domain's template."""
    state.app.jinja_env.globals.update(
        unit_labels=UNIT_LABELS, actor_type_labels={t.value: label for t, label in ACTOR_TYPE_LABELS.items()},
        weekday_labels=WEEKDAY_LABELS, rule_labels=RULE_LABELS, time_of=time_of)


def _load(model, object_id: int, may) -> object:
    """The object if `may(current_user, it)`; 404 otherwise, as if it were missing (another
    organisation's invoice, another department's facility: its existence is not revealed)."""
    found = db.session.get(model, object_id)
    if found is None or not may(current_user, found):
        abort(404)
    return found


def _facility(facility_id: int) -> Facility:
    return _load(Facility, facility_id, can_manage_tariffs)


def _tariff(facility: Facility, tariff_id: int) -> Tariff:
    tariff = db.session.get(Tariff, tariff_id)
    if tariff is None or tariff.facility_id != facility.id:
        abort(404)
    return tariff


def _run(action, *args, form=None, **kwargs):
    """One service call in one unit of work; a refusal goes onto the form. Returns (ok, result)."""
    try:
        with unit_of_work():
            result = action(*args, actor=current_user._get_current_object(), **kwargs)
    except DomainError as exc:
        if form is not None and hasattr(form, "FIELD_NAMES"):
            exc.field_messages = {form.FIELD_NAMES.get(k, k): v for k, v in exc.field_messages.items()}
        flash_errors(exc, form)
        return False, None
    return True, result


# --- prices and tariffs (managers) --------------------------------------------------------------

@bp.get("/manage/prices")
@login_required
def prices():
    """Every facility the manager keeps, with the tariff in force today and what comes next."""
    if not can_view_revenue(current_user):
        abort(403)
    stmt = (select(Facility).join(Facility.department).options(selectinload(Facility.department))
            .order_by(Department.name, Facility.name))
    if not current_user.is_admin:
        stmt = stmt.where(Facility.department_id.in_(current_user.department_ids or {-1}))
    facilities = list(db.session.scalars(stmt))
    tariffs = services.current_tariffs_of(facilities)
    rows = []
    for facility in facilities:
        today = services.local_date(facility, utcnow())
        current = tariffs.get(facility.id, [])
        in_force = next((t for t in current if t.valid_from <= today), None)
        rows.append((facility, in_force, [t for t in current if t.valid_from > today]))
    return render_template("pricing/prices.html", rows=rows)


@bp.get("/manage/facilities/<int:facility_id>/tariffs")
@login_required
def tariffs(facility_id: int):
    facility = _facility(facility_id)
    versions = services.tariff_versions(facility)
    today = services.local_date(facility, utcnow())
    in_force = services.tariff_at(facility, utcnow())
    return render_template("pricing/tariffs.html", facility=facility, versions=versions, today=today,
                           in_force=in_force, action_form=EmptyForm(), status_labels=STATUS_LABELS)


def _form_page(facility: Facility, form: TariffForm, tariff: Tariff | None, status: int = 200):
    return render_template("pricing/tariff_form.html", facility=facility, form=form, tariff=tariff,
                           status_labels=STATUS_LABELS), status


@bp.route("/manage/facilities/<int:facility_id>/tariffs/new", methods=["GET", "POST"])
@login_required
def new_tariff(facility_id: int):
    facility = _facility(facility_id)
    form = TariffForm()
    if request.method == "GET":
        # Start from the tariff in force (a new year's prices are mostly last year's).
        start = services.tariff_at(facility, utcnow())
        if start is not None:
            form.load(start)
            form.clear_name()
            form.valid_from.data = None
        else:
            form.vat_rate.data = current_app.config["VAT_RATE_DEFAULT"]
    form.fill_rules()
    if form.validate_on_submit():
        ok, result = _run(services.save_tariff, facility, form.tariff_input(), form=form)
        if ok:
            flash(_("The tariff from %(date)s is saved.", date=form.valid_from.data.isoformat()), "success")
            return redirect(url_for(".tariffs", facility_id=facility.id))
    return _form_page(facility, form, None, 422 if request.method == "POST" else 200)


@bp.route("/manage/facilities/<int:facility_id>/tariffs/<int:tariff_id>/edit", methods=["GET", "POST"])
@login_required
def edit_tariff(facility_id: int, tariff_id: int):
    facility = _facility(facility_id)
    tariff = _tariff(facility, tariff_id)
    form = TariffForm()
    if request.method == "GET":
        form.load(tariff)
    form.fill_rules()
    if form.validate_on_submit():
        ok, result = _run(services.save_tariff, facility, form.tariff_input(), tariff=tariff, form=form)
        if ok:
            saved, changed = result
            if not changed:
                flash(_("Nothing was changed."), "success")
            elif saved.id != tariff.id:
                flash(_("This tariff has priced reservations, so the change is saved as version %(version)s; "
                        "the reservations keep their prices.", version=saved.version), "success")
            else:
                flash(_("The tariff is saved."), "success")
            return redirect(url_for(".tariffs", facility_id=facility.id))
    return _form_page(facility, form, tariff, 422 if request.method == "POST" else 200)


@bp.post("/manage/facilities/<int:facility_id>/tariffs/<int:tariff_id>/delete")
@login_required
def delete_tariff(facility_id: int, tariff_id: int):
    facility = _facility(facility_id)
    tariff = _tariff(facility, tariff_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ok, _result = _run(services.delete_tariff, tariff)
    if ok:
        flash(_("The tariff is removed."), "success")
    return redirect(url_for(".tariffs", facility_id=facility.id))


@bp.get("/manage/prices/report")
@login_required
def report():
    """Revenue and subsidy per facility, department or actor type, for a period."""
    if not can_view_revenue(current_user):
        abort(403)
    form = ReportForm(request.args)
    today = invoicing.city_today()
    if not request.args:
        form.first.data, form.last.data = date(today.year, 1, 1), today
    rows = []
    if not request.args or form.validate():
        rows = subsidy.revenue_report(current_user, form.first.data, form.last.data, form.group_by.data,
                                      current_app.config["DEFAULT_TIMEZONE"])
    return render_template("pricing/report.html", form=form, rows=rows, group_by=form.group_by.data,
                           totals={k: sum(getattr(r, k) for r in rows)
                                   for k in ("reservations", "revenue_cents", "subsidy_cents", "list_value_cents")})


# --- invoices ------------------------------------------------------------------------------------

@bp.get("/invoices")
@login_required
def invoices():
    if not can_view_invoices(current_user):
        abort(403)
    page = request.args.get("page", 1, type=int)
    page = page if 0 < page < 100_000 else 1
    items, total = paginate(invoicing.visible_invoices(current_user), page, PER_PAGE)
    today = invoicing.city_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    issue_form = IssueForm(formdata=None, month=last_month) if can_issue_invoices(current_user) else None
    return render_template("pricing/invoices.html", invoices=items, total=total, page=page, per_page=PER_PAGE,
                           issue_form=issue_form, export_first=today.replace(day=1) - timedelta(days=31),
                           export_last=today)


@bp.post("/invoices/issue")
@login_required
def issue():
    if not can_issue_invoices(current_user):
        abort(403)
    form = IssueForm()
    if not form.validate_on_submit():
        flash_errors(DomainError(*form.month.errors))
        return redirect(url_for(".invoices"))
    year, month = form.year_month
    ok, issued = _run(invoicing.issue_invoices, year, month)
    if ok:
        flash(ngettext("%(num)d invoice issued for %(month)s.", "%(num)d invoices issued for %(month)s.",
                       len(issued), month=form.month.data.strip()), "success")
    return redirect(url_for(".invoices"))


def _invoice(invoice_id: int) -> Invoice:
    return _load(Invoice, invoice_id, can_view_invoice)


@bp.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int):
    invoice = _invoice(invoice_id)
    return render_template("pricing/invoice.html", invoice=invoice, reference=grouped(invoice.reference),
                           rf_reference=grouped_rf(invoice.rf_reference),
                           can_credit=can_issue_invoices(current_user) and not invoice.is_credit_note
                           and invoice.credit_note is None)


@bp.route("/invoices/<int:invoice_id>/credit", methods=["GET", "POST"])
@login_required
def credit(invoice_id: int):
    invoice = _invoice(invoice_id)
    if not can_issue_invoices(current_user):
        abort(403)
    form = CreditForm()
    if form.validate_on_submit():
        ok, note = _run(invoicing.credit, invoice, form.reason.data, form=form)
        if ok:
            flash(_("Credit note %(number)s is issued.", number=note.number), "success")
            return redirect(url_for(".invoice", invoice_id=note.id))
    return render_template("pricing/credit.html", invoice=invoice, form=form), 422 if form.errors else 200


@bp.get("/invoices/export.csv")
@login_required
def export():
    if not can_issue_invoices(current_user):
        abort(403)
    form = ReportForm(request.args)
    if not form.validate():
        abort(400)
    body = invoicing.export_csv(form.first.data, form.last.data)
    name = f"invoices-{form.first.data.isoformat()}-{form.last.data.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- subsidies -----------------------------------------------------------------------------------

@bp.get("/admin/subsidies")
@login_required
def subsidies():
    if not can_view_subsidy_ledger(current_user):
        abort(403)
    return render_template("pricing/subsidies.html", rows=subsidy.subsidy_ledger(),
                           ceiling=subsidy.ceiling_cents(), years=subsidy.SUBSIDY_YEARS)

