"""Infrashare: share a city's underused infrastructure."""
from __future__ import annotations

import importlib
import os

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from booking import config as settings
from booking.database import configure_engine
from booking.extensions import babel, csrf, db, login_manager, migrate

# Domains in the order they stack (DESIGN.md): each uses only those before it.
DOMAINS = ["audit", "notifications", "accounts", "facilities", "pricing", "reservations",
           "agreements", "seasons", "calendars", "stats", "webhooks"]


def _domain_modules(name: str) -> list[str]:
    """The domain's modules that exist (models first, then web and API)."""
    found = []
    for domain in DOMAINS:
        module = f"booking.{domain}.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name in (module, f"booking.{domain}"):
                continue
            raise
        found.append(module)
    return found


def select_locale():
    if not has_request_context():  # CLI, jobs, seeding: the default locale
        return None
    if current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if session.get("locale"):
        return session["locale"]
    return request.accept_languages.best_match(["en", "fi", "sv"]) or "en"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings.load(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.update(config)
    if app.config["PROXY_COUNT"]:
        # Behind a reverse proxy: trust its X-Forwarded-* headers (client IP for login
        # throttling, scheme for secure cookies and links).
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"))

    with app.app_context():
        configure_engine(db.engine)

    _domain_modules("models")
    from booking import scheduler  # noqa: F401  (the job process's tables: lease and job state)
    from booking.accounts.loader import init_login

    init_login(login_manager)

    from booking import site
    from booking.api import api
    from booking.api import openapi  # noqa: F401  (declares /openapi.json)

    app.url_map.converters["int"] = site.IdConverter  # before any route is added
    app.register_blueprint(site.bp)
    site.init_app(app)
    for module in _domain_modules("views"):
        app.register_blueprint(importlib.import_module(module).bp)
    _domain_modules("api")
    csrf.exempt(api)
    app.register_blueprint(api)

    from booking import cli, jobs

    jobs.gather()
    cli.init_app(app)
    if app.config["SCHEDULER_IN_PROCESS"] and app.config["SCHEDULER_ENABLED"] and scheduler.serving_under_flask_run():
        scheduler.start_in_process(app)
    return app
