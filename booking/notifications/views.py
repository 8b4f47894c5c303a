"""The in-app notifications: a person's list (the same events they are e-mailed about), with
the unread count in the navigation; opening one marks it read and goes to its page."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from booking import navigation
from booking.api.pagination import paginate
from booking.extensions import db
from booking.notifications import services
from booking.notifications.models import Notification
from booking.unit_of_work import unit_of_work
from booking.notifications import personal  # noqa: F401  (registers its part of a person's data)

bp = Blueprint("notifications", __name__)
PER_PAGE = 50

navigation.add("notifications.index", _l("Notifications"), visible=lambda u: u.is_authenticated, order=5,
               group="account", badge=lambda u: services.unread_count(u.id), badge_label=_l("unread"))


@bp.get("/notifications")
@login_required
def index():
    page = max(request.args.get("page", 1, type=int), 1)
    notifications, total = paginate(services.notifications_of(current_user.id), page, PER_PAGE)
    return render_template("notifications/index.html", notifications=notifications, total=total, page=page,
                           per_page=PER_PAGE)


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    with unit_of_work():
        services.mark_read(current_user.id, notification.id)
    return redirect(notification.link or url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def read_all():
    with unit_of_work():
        services.mark_read(current_user.id)
    return redirect(url_for("notifications.index"))
