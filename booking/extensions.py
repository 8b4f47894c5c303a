"""Extension objects, created once and bound to the app in create_app."""
import functools

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import MANYTOONE, Session, make_transient, make_transient_to_detached

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


def insert_new(objects: list) -> None:
    """Write new objects of one mapped class, one Core INSERT each, and make them the session's
    as if loaded: past the ORM's unit of work, which costs four times a one-row INSERT (every
    booking writes one). Each gets every column's value first (a many-to-one object set on it
    gives its key; an unset column its default), so nothing is loaded again. Flush first what
    they refer to (a new parent); if an INSERT fails, none joins the session. The transaction's
    rollback makes them transient again; a SAVEPOINT rolled back alone would not (none is used
    around them)."""
    if not objects:
        return
    plan = _insert_plan(type(objects[0]))
    connection = db.session.connection()
    for obj in objects:
        for relation, pairs in plan.parents:
            parent = obj.__dict__.get(relation)
            if parent is not None:
                for local, remote in pairs:
                    setattr(obj, local, getattr(parent, remote))
        for key, default in plan.defaults:
            if key not in obj.__dict__:
                setattr(obj, key, None if default is None else default.arg(None) if default.is_callable
                        else default.arg)
        setattr(obj, plan.key, connection.execute(plan.insert, {c: obj.__dict__[k] for c, k in plan.columns}).scalar_one())
    for obj in objects:
        make_transient_to_detached(obj)
        db.session.add(obj)
    db.session.info.setdefault(_INSERTED, []).extend(objects)


_INSERTED = "inserted_new"


@event.listens_for(Session, "after_rollback")
def _forget_inserted(session):
    """As the unit of work does for what it inserted: a rollback leaves them transient again."""
    for obj in session.info.pop(_INSERTED, ()):
        if obj in session:
            session.expunge(obj)
        make_transient(obj)


@event.listens_for(Session, "after_commit")
def _keep_inserted(session):
    session.info.pop(_INSERTED, None)


class _InsertPlan:
    def __init__(self, cls):
        mapper = inspect(cls)
        [primary] = mapper.primary_key
        self.key = mapper.get_property_by_column(primary).key
        attributes = [(prop.columns[0], prop.key) for prop in mapper.column_attrs if prop.columns[0] is not primary]
        self.columns = [(column.key, key) for column, key in attributes]
        self.defaults = [(key, column.default) for column, key in attributes]
        if any(d is not None and not (d.is_scalar or d.is_callable) for _, d in self.defaults) or any(
                column.server_default is not None and column.default is None for column, _ in attributes):
            raise TypeError(f"{cls.__name__}: a default only the database knows would have to be loaded again")
        self.parents = [(rel.key, [(mapper.get_property_by_column(local).key,
                                    rel.mapper.get_property_by_column(remote).key)
                                   for local, remote in rel.local_remote_pairs])
                        for rel in mapper.relationships if rel.direction is MANYTOONE]
        self.insert = insert(mapper.local_table).returning(primary)


_insert_plan = functools.cache(_InsertPlan)  # one plan per mapped class
