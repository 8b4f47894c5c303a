"""Pages that belong to no domain: the front page, the language switch, error pages, and
what every template can use (navigation, formatting, permission questions)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, send_from_directory,
                   session, url_for)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter

from booking import navigation, panels
from booking.accounts import rules as account_rules
from booking.api.errors import domain_problem, problem
from booking.api.types import MAX_INT
from booking.content import Translated, languages_in_order
from booking.errors import DomainError
from booking.extensions import db
from booking.formatting import compact_time, duration, local_time, money, number, time_range
from booking.unit_of_work import unit_of_work

bp = Blueprint("site", __name__)

LANGUAGES = {"en": "English", "fi": "Suomi", "sv": "Svenska"}
# Beside a text shown in the city's language because it has not been translated into the reader's.
IN_LANGUAGE = {"en": _l("(in English)"), "fi": _l("(in Finnish)"), "sv": _l("(in Swedish)")}


# --- city-written content in the reader's language (booking/content.py) ---------------------

def translated_filter(obj, field: str = "name"):
    """`{{ facility|t('description') }}`: the field in the reader's language (a Translated,
    which prints as its text). Anything without translations gives its attribute as it is."""
    if obj is None:
        return Translated("", "", False)
    if hasattr(obj, "translated"):
        return obj.translated(field)
    value = getattr(obj, field, obj)
    return Translated("" if value is None else str(value), "", False)


def lang_attr(text) -> Markup:
    """` lang="en"` on the element holding a text that fell back to another language."""
    if isinstance(text, Translated) and text.missing:
        return Markup(' lang="%s"') % text.language
    return Markup("")


def missing_note(text) -> Markup:
    """A small '(in English)' after a text that is not in the reader's language."""
    if isinstance(text, Translated) and text.missing and text.language in IN_LANGUAGE:
        return Markup(' <small class="content-missing">%s</small>') % IN_LANGUAGE[text.language]
    return Markup("")


def marked(text) -> Markup:
    """An inline text with its language marked where it fell back: `{{ facility|t('name')|marked }}`."""
    if isinstance(text, Translated) and text.missing:
        return Markup("<span%s>%s</span>%s") % (lang_attr(text), text.text, missing_note(text))
    return escape(str(text))


@bp.get("/")
def index():
    # The search is the front page's way in (the facilities domain's "front" panels); until
    # that domain is installed, registering is.
    return render_template("site/index.html", has_catalogue="facilities.catalogue" in current_app.view_functions,
                           panels=panels.render("front"))


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on every site whatever the page links to.
    return send_from_directory(current_app.static_folder, "icons/favicon.ico", mimetype="image/x-icon",
                               max_age=7 * 24 * 3600)


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: a phone can put the site on its home screen with the city's name."""
    city = current_app.config["CITY_NAME"]
    response = jsonify({
        "name": f"Infrashare · {city}" if city else "Infrashare",
        "short_name": "Infrashare",
        "lang": str(get_locale()),
        "start_url": url_for("site.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4f91",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    })
    response.mimetype = "application/manifest+json"
    return response


def city_logo_url() -> str:
    """CITY_LOGO as a URL: a file under static/, or a path or URL given as it is."""
    logo = current_app.config.get("CITY_LOGO") or ""
    if not logo:
        return ""
    if logo.startswith(("/", "https://", "http://")):
        return logo
    return url_for("static", filename=logo)


@bp.post("/language")
def set_language():
    code = request.form.get("language", "")
    if code in LANGUAGES:
        session["locale"] = code
        if current_user.is_authenticated:
            with unit_of_work():
                current_user.locale = code
    return redirect(safe_next())


def safe_next(default_endpoint: str = "site.index") -> str:
    """The `next` URL of a form or query if it is a path on this site, else the default page.

    Browsers treat a backslash like a slash and drop tabs and newlines, so those are refused
    too: each could turn a path into another host ("//evil.com").
    """
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 32 or ord(c) == 127 for c in target) and not parts.scheme and not parts.netloc):
        return target
    return url_for(default_endpoint)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: 1 to 2**31-1, what the database's ids hold. Anything else is
    simply not found (404), never a query with a number the database cannot take."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_INT, signed=False):  # noqa: A002 - Werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _has_nul(request_) -> bool:
    """A NUL byte anywhere in the path, the query or a form: no text field can hold one
    (PostgreSQL refuses it), so the request is refused whole, before any view reads it."""
    if "\x00" in request_.path:
        return True
    if any("\x00" in key or "\x00" in value for key, value in request_.args.items(multi=True)):
        return True
    if request_.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return any("\x00" in key or "\x00" in value for key, value in request_.form.items(multi=True))
    return False


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app) -> None:
    @app.context_processor
    def template_globals():
        return {
            "nav_items": navigation.items_for,
            "languages": LANGUAGES,
            "current_locale": str(get_locale()),
            "can": account_rules,
            "city_name": current_app.config.get("CITY_NAME", ""),
            "city_logo_url": city_logo_url,
        }

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["compact_time"] = compact_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = number
    app.jinja_env.globals["time_range"] = time_range
    app.jinja_env.filters["t"] = translated_filter
    app.jinja_env.globals["content_languages"] = languages_in_order
    app.jinja_env.filters["lang_attr"] = lang_attr
    app.jinja_env.filters["missing_note"] = missing_note
    app.jinja_env.filters["marked"] = marked

    @app.before_request
    def forget_previous_request():
        # `g` outlives a request when an app context was already pushed (tests, requests made
        # from a CLI command). The logged-in user and the language are per-request answers.
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)
        g.pop("content_language", None)

    @app.before_request
    def refuse_nul_bytes():
        if _has_nul(request):
            if _wants_json():
                return problem(400, "Bad request", "The request contains a NUL byte (%00), which no field accepts.")
            return render_template("site/error.html", status=400, title=ERROR_TITLES[400],
                                   reasons=[_l("The request contains a NUL character, which no field accepts. "
                                               "Remove it and try again.")]), 400

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()  # nothing half-written
        if _wants_json():
            return domain_problem(exc)
        messages = exc.reasons + [m for field in exc.field_errors.values() for m in field]
        # Not "Page not found": the page exists, the thing it was asked about does not.
        title = _l("Not found") if exc.status == 404 else ERROR_TITLES.get(exc.status, exc.title)
        return render_template("site/error.html", status=exc.status, title=title, reasons=messages), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_template("site/error.html", status=400, title=_l("The form has expired"),
                               reasons=[_l("For your safety a form works only for a while and only from this "
                                           "site. Go back, reload the page and send the form again.")]), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or 300 <= exc.code < 400:
            return exc  # a routing redirect (trailing slash), not an error
        if _wants_json():
            response = problem(exc.code, exc.name, exc.description or exc.name)
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        return render_template("site/error.html", status=exc.code, title=ERROR_TITLES.get(exc.code, exc.name),
                               reasons=[ERROR_TEXTS.get(exc.code, exc.description)]), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        if _wants_json():
            return problem(500, "Internal Server Error", "Something went wrong on our side; nothing was saved.")
        return render_template("site/error.html", status=500, title=ERROR_TITLES[500],
                               reasons=[ERROR_TEXTS[500]]), 500

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure or current_app.config["BASE_URL"].startswith("https://"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


# No page may use the camera, microphone, location, payment or USB.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def _tile_source() -> str:
    """The map tile server's origin ({s} subdomains as a wildcard), or nothing when maps are off."""
    url = current_app.config.get("MAP_TILE_URL") or ""
    parts = urlsplit(url.replace("{s}", "tiles"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("tiles.", "*.", 1) if "{s}." in url else parts.netloc
    return f" {parts.scheme}://{host}"


def content_security_policy() -> str:
    """Scripts and styles only from our own files (no inline script, style element or style
    attribute), images also from the map tiles, no frames, forms post only to us."""
    return ("default-src 'self'; script-src 'self'; "
            f"style-src 'self'; img-src 'self' data:{_tile_source()}; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("This clashes with something that exists"),
    413: _l("Upload too large"),
    422: _l("This cannot be done"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
ERROR_TEXTS = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to do this. If you think you should, contact the facility's department."),
    404: _l("There is nothing at this address. It may have moved or been removed."),
    405: _l("This page cannot be used that way."),
    413: _l("The file is larger than this site accepts."),
    429: _l("Too many requests came from here in a short time. Wait a moment and try again."),
    500: _l("Something went wrong on our side and nothing was saved. Please try again in a moment."),
}


def attempt(action, *args, form=None, **kwargs) -> tuple[bool, object]:
    """Run one use case in its own unit of work: (True, its result), or (False, None) with the
    refusal's reasons put on the form's fields and in flashes (nothing written)."""
    try:
        with unit_of_work():
            return True, action(*args, **kwargs)
    except DomainError as exc:
        flash_errors(exc, form)
        return False, None


def flash_errors(exc: DomainError, form=None) -> None:
    """Put a service's reasons on the form's fields where they belong, the rest in a flash."""
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None:
            field.errors = list(field.errors) + messages
        else:
            for message in messages:
                flash(message, "error")
    for reason in exc.reasons:
        flash(reason, "error")
