"""Flask-Login wiring: how a session cookie becomes a user."""
from flask_babel import lazy_gettext as _l

from booking.accounts.models import User
from booking.extensions import db


def init_login(login_manager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None
