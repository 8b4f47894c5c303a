"""Every setting in one place, read from the environment with documented defaults.

The README's configuration table lists the same names. Values that hold secrets are
never logged.
"""
from __future__ import annotations

import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _decimal(name: str, default: str) -> Decimal:
    value = os.environ.get(name, "").strip() or default
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _language(name: str, default: str) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if value not in ("en", "fi", "sv"):
        raise ValueError(f"{name} must be en, fi or sv, not {value!r}")
    return value


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Several workers may start at once: each writes its own candidate and links it into
        # place, which succeeds for exactly one, so they all end up reading the same key.
        instance_path.mkdir(parents=True, exist_ok=True)
        candidate = instance_path / f".secret_key.{os.getpid()}"
        candidate.write_text(secrets.token_hex(32))
        candidate.chmod(0o600)
        try:
            os.link(candidate, key_file)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return key_file.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'infrashare.sqlite'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load(instance_path: str) -> dict:
    """Settings for create_app, from the environment."""
    path = Path(instance_path)
    env = os.environ.get
    base_url = env("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # Cookies go over HTTPS only whenever the site is served over HTTPS (unless set otherwise).
    secure_cookies = _bool(env("SESSION_COOKIE_SECURE"), default=base_url.startswith("https://"))
    return {
        "SECRET_KEY": _secret_key(path),
        "SQLALCHEMY_DATABASE_URI": database_url(path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PREFERRED_URL_SCHEME": env("PREFERRED_URL_SCHEME", "http"),
        # Absolute links in e-mails and calendar feeds.
        "BASE_URL": base_url,
        "DEFAULT_TIMEZONE": env("DEFAULT_TIMEZONE", "Europe/Helsinki"),
        "BABEL_DEFAULT_LOCALE": env("DEFAULT_LOCALE", "en"),
        "LANGUAGES": ["en", "fi", "sv"],
        # The language the city writes its content in first (facility names, descriptions, terms …):
        # the text columns hold it, translations hold the others, and it is shown where one is missing.
        "CONTENT_LANGUAGE": _language("CONTENT_LANGUAGE", "en"),
        "MAIL_SERVER": env("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        # The city shown on the front page and in the header: its name, and its logo (a file under
        # static/, or a path or https URL of this site; CSP allows images from this site only).
        "CITY_NAME": env("CITY_NAME", "Kuusilahti"),
        "CITY_LOGO": env("CITY_LOGO", "icons/icon.svg"),
        # Map tiles for the catalogue and facility pages, off unless set (no visitor's browser asks a third
        # party for anything until the city chooses a tile server); the address is always shown as text.
        "MAP_TILE_URL": env("MAP_TILE_URL", ""),
        "MAP_ATTRIBUTION": env("MAP_ATTRIBUTION", "© OpenStreetMap contributors"),
        # How many reverse proxies sit in front of the app (0: none; then X-Forwarded-* is ignored).
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
        "MAIL_USERNAME": env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(env("MAIL_USE_TLS")),  # STARTTLS on a plain connection (port 587)
        "MAIL_USE_SSL": _bool(env("MAIL_USE_SSL")),  # TLS from the start (port 465)
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "Infrashare <no-reply@infrashare.invalid>"),
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 3600),
        "REGISTRATION_LINK_MAX_AGE": _int("REGISTRATION_LINK_MAX_AGE", 24 * 3600),
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_FAILURE_WINDOW": _int("LOGIN_FAILURE_WINDOW", 900),
        # Let URL fetches (calendar import, webhooks) reach loopback and private addresses: tests or a closed
        # intranet only; on a public server it would let anyone probe the internal network.
        "FETCH_ALLOW_PRIVATE": _bool(env("FETCH_ALLOW_PRIVATE")),
        "UPLOAD_MAX_BYTES": _int("UPLOAD_MAX_BYTES", 8 * 1024 * 1024),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        # The largest JSON body the API reads (bytes; larger is 413) and how deeply it may nest (deeper is 400).
        "API_MAX_BODY_BYTES": _int("API_MAX_BODY_BYTES", 1024 * 1024),
        "API_MAX_JSON_DEPTH": _int("API_MAX_JSON_DEPTH", 32),
        "HOLD_MINUTES": _int("HOLD_MINUTES", 15),
        # How long a manager can take back a check-in or a no-show; the booker is told only after it.
        "DAY_ACTION_UNDO_MINUTES": _int("DAY_ACTION_UNDO_MINUTES", 15),
        # Months after its end that a booking keeps who made it and why (then anonymised; statistics stay).
        "RETENTION_MONTHS": _int("RETENTION_MONTHS", 24),
        "SCHEDULER_ENABLED": _bool(env("SCHEDULER_ENABLED"), True),
        # Development: `flask run` also runs the scheduler, in its serving process (never in production).
        "SCHEDULER_IN_PROCESS": _bool(env("SCHEDULER_IN_PROCESS")),
        # Pricing and invoicing (booking/pricing): the VAT rate a new tariff starts with (percent),
        # the de minimis ceiling on subsidy per company over a rolling three years (cents), and
        # the seller printed on invoices.
        "VAT_RATE_DEFAULT": _decimal("VAT_RATE_DEFAULT", "25.5"),
        "SUBSIDY_CEILING_CENTS": _int("SUBSIDY_CEILING_CENTS", 300_000_00),
        "INVOICE_DUE_DAYS": _int("INVOICE_DUE_DAYS", 14),
        "OPEN_DATA_LICENCE": env("OPEN_DATA_LICENCE", "CC BY 4.0"),
        "OPEN_DATA_LICENCE_URL": env("OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"),
        "INVOICE_FIRST_NUMBER": _int("INVOICE_FIRST_NUMBER", 1),
        "INVOICE_SELLER_NAME": env("INVOICE_SELLER_NAME", "City of Kuusilahti"),
        "INVOICE_SELLER_BUSINESS_ID": env("INVOICE_SELLER_BUSINESS_ID", "0123456-2"),
        "INVOICE_SELLER_ADDRESS": env("INVOICE_SELLER_ADDRESS", "Kaupungintalo, Torikatu 1, 40100 Kuusilahti"),
        "INVOICE_SELLER_IBAN": env("INVOICE_SELLER_IBAN", "FI21 1234 5600 0007 85"),
    }
