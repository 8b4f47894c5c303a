"""Webhook pages: the list with the register form, the secret shown once after registering, and
each webhook's delivery history, where a delivery can be sent again."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from booking import panels
from booking.audit import links as audit_links
from booking.accounts.forms import EmptyForm
from booking.accounts.rules import can_administer
from booking.api.pagination import paginate
from booking.errors import DomainError
from booking.extensions import db
from booking.site import flash_errors
from booking.unit_of_work import unit_of_work
from booking.webhooks import jobs, rules, services
from booking.webhooks.forms import CITY_WIDE, WebhookForm
from booking.webhooks.messages import EVENT_LABELS, STATUS_LABELS
from booking.webhooks.models import DeliveryStatus, Webhook

bp = Blueprint("webhooks", __name__)

audit_links.register("Webhook", _l("Webhook"), "webhooks.webhook_page", "webhook_id")

# Found from the profile, beside the API tokens: both are for the people who connect systems.
panels.register("profile", "webhooks", "webhooks/_profile.html", lambda **page: {
    "can_register": bool(current_user.memberships) or can_administer(current_user)}, order=90)

DELIVERIES_PAGE = 50


def _form() -> WebhookForm:
    form = WebhookForm()
    choices = [SelectChoice(CITY_WIDE, _("The whole city"))] if can_administer(current_user) else []
    choices += [SelectChoice(str(m.organisation_id), m.organisation.name)
                for m in sorted(current_user.memberships, key=lambda m: m.organisation.name)]
    form.scope.choices = choices
    return form


def _page(form: WebhookForm, status: int = 200):
    webhooks = db.session.scalars(services.webhooks_query(current_user)).all()
    return render_template("webhooks/list.html", form=form, webhooks=webhooks, event_labels=EVENT_LABELS), status


@bp.get("/webhooks")
@login_required
def webhooks_page():
    return _page(_form())


@bp.post("/webhooks")
@login_required
def create_webhook():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        with unit_of_work():
            webhook = services.register_webhook(current_user, url=form.url.data, events=form.events.data,
                                                organisation_id=form.organisation_id(),
                                                description=form.description.data or "")
    except DomainError as exc:
        flash_errors(exc, form)
        return _page(form, 422)
    return render_template("webhooks/created.html", webhook=webhook, event_labels=EVENT_LABELS)


def _manageable(webhook_id: int) -> Webhook:
    """The webhook if the user may manage it; 404 otherwise (another organisation's is not revealed)."""
    webhook = services.get_webhook(webhook_id)
    if webhook is None or not rules.can_manage_webhook(current_user, webhook):
        abort(404)
    return webhook


@bp.get("/webhooks/<int:webhook_id>")
@login_required
def webhook_page(webhook_id: int):
    webhook = _manageable(webhook_id)
    page = min(max(request.args.get("page", 1, type=int), 1), 10**6)
    deliveries, total = paginate(services.deliveries_query(webhook), page, DELIVERIES_PAGE)
    return render_template("webhooks/detail.html", webhook=webhook, deliveries=deliveries, total=total, page=page,
                           per_page=DELIVERIES_PAGE, event_labels=EVENT_LABELS, status_labels=STATUS_LABELS,
                           error_of=services.error_of, action_form=EmptyForm())


@bp.post("/webhooks/<int:webhook_id>/delete")
@login_required
def delete_webhook(webhook_id: int):
    EmptyForm().validate_on_submit() or abort(400)
    webhook = _manageable(webhook_id)
    with unit_of_work():
        services.delete_webhook(current_user, webhook)
    flash(_("The webhook is deleted: nothing more is sent to it."), "success")
    return redirect(url_for("webhooks.webhooks_page"))


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend")
@login_required
def resend_delivery(webhook_id: int, delivery_id: int):
    """Due at once, and sent now, from this request (outside its unit of work), so the person
    sees at once how the receiver answered; the job retries it if it fails."""
    EmptyForm().validate_on_submit() or abort(400)
    delivery = services.get_delivery(_manageable(webhook_id), delivery_id)
    if delivery is None:
        abort(404)
    try:
        with unit_of_work():
            services.resend(current_user, delivery)
    except DomainError as exc:
        flash_errors(exc)
        return redirect(url_for("webhooks.webhook_page", webhook_id=webhook_id))
    outcome = jobs.deliver(delivery_id)
    if outcome == DeliveryStatus.delivered:
        flash(_("Sent again: the receiver accepted it."), "success")
    elif outcome is None:  # the job process took it first
        flash(_("It is being sent again."), "success")
    else:
        flash(_("Sent again, but the receiver did not accept it. It will be tried again later."), "error")
    return redirect(url_for("webhooks.webhook_page", webhook_id=webhook_id))
