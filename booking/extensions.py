"""Extension objects, created once and bound to the app in create_app."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from booking.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def plain_rows(stmt, params: dict | None = None):
    """A select's rows straight from the session's connection: past the ORM's statement and
    row handling, which cost more than a small query itself. No autoflush: flush first where
    the read must see the session's pending changes."""
    return db.session.connection().execute(stmt, params or {})
