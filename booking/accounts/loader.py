"""Flask-Login wiring: how a session cookie becomes a user."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from booking.accounts.models import User, UserSession, hash_token
from booking.extensions import db


def init_login(login_manager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(cookie_id: str):
        """The active user whose session is still open ("<user id>:<session token>"), in one
        query; a cookie of an ended session, or from before sessions were kept, is nobody."""
        user_id, _, token = cookie_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.scalar(
            select(User).join(UserSession, UserSession.user_id == User.id)
            .where(User.id == int(user_id), User.active.is_(True), UserSession.token_hash == hash_token(token),
                   UserSession.ended_dt.is_(None)))
        if user is not None:
            user.session_token = token
        return user
