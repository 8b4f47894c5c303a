"""Who may do what, route by route: every route of the app × every method × six callers,
against the one table below (MATRIX). A route added without a row fails
`test_every_route_has_a_row`, so nobody adds a page or an API operation without saying who
may use it.

The callers act in a small world built once for this module: organisations A and B, each
with a confirmed reservation and a pending request, departments X and Y, each with a
published facility (A books at X, B at Y), a draft facility of X, a pilot agreement draft and
a submitted one of each organisation (and an approved one of A), an invoice of A, a calendar
feed of A, an in-app notification of A's member. URL parameters
are A's and X's objects, so every row asks: may B's member, or Y's manager, read, change
or cancel A's things through pages, the API or feeds? Pages are visited with a logged-in
browser session, the API with the caller's bearer token.

Outcomes (what the table says):

  ok     allowed: a page, a redirect elsewhere than the login page, or a 4xx about the
         input or the state (400, 409, 410, 422); POSTs send valid-looking forms, but
         only being allowed or refused is checked, never that the action succeeded
  login  302 to the login page (pages) or 401 (API)
  403    refused, and the caller may know the thing exists
  404    refused as if it did not exist (the caller may not see the object)

A refusal a page explains in a flash message after a redirect counts as what the service
raised (PermissionDenied 403, NotFound 404). Whatever a caller may not see must also never
appear in what they get: every response is searched for the private texts of the other side
(MARKERS).

State changes are allowed to happen: the refused callers of a row go first, then the
allowed ones; rows that destroy what they act on (delete, revoke, a transition, a decision)
get a fresh object per request (the `_fresh_*` parameters in OVERRIDES).

A new route: add its row; a new URL parameter name needs an entry in PARAMS, and a POST
whose refusal depends on its form, its form in FORMS (or its JSON body in BODIES).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.security import generate_password_hash

from booking import create_app, errors
from booking.accounts import models as account_models
from booking.accounts import services as accounts
from booking.accounts.models import ActorType, MembershipRole, Role
from booking.agreements import services as agreements
from booking.agreements.services import AgreementInput, BlockInput, ChallengeInput
from booking.calendars import services as calendars
from booking.extensions import db
from booking.facilities.services import photo_file_key
from booking.facilities.models import (Amenity, ApprovalPolicy, BookingQuestion, BookingRules, Closure, Facility,
                                       FacilityPhoto, FacilityStatus, OpeningHours, SpecialOpening)
from booking.notifications.models import Notification, OutboxMessage
from booking.pricing import invoicing
from booking.pricing import services as pricing
from booking.pricing.services import TariffInput
from booking.pricing.terms import TariffTerms
from booking.reservations import services as reservations
from booking.seasons import services as seasons
from booking.seasons.models import Allocation as SeasonAllocation
from booking.seasons.models import Application as SeasonApplication
from booking.seasons.models import Wish as SeasonWish
from booking.storage import get_storage
from booking.unit_of_work import unit_of_work
from booking.webhooks.models import Webhook, WebhookDelivery
from tests.conftest import _empty_tables

HELSINKI = ZoneInfo("Europe/Helsinki")
PASSWORD = "matrix-password-1"
ROLES = ("anon", "memA", "memB", "mgrX", "mgrY", "admin")

# --- the table ---------------------------------------------------------------------------------
# One row per endpoint and method; columns in ROLES order.
MATRIX = """
# endpoint                                    method  anon   memA   memB   mgrX   mgrY   admin

# public pages
site.index                                    GET     ok     ok     ok     ok     ok     ok
site.set_language                             POST    ok     ok     ok     ok     ok     ok
site.favicon                                  GET     ok     ok     ok     ok     ok     ok
site.manifest                                 GET     ok     ok     ok     ok     ok     ok
static                                        GET     ok     ok     ok     ok     ok     ok
facilities.catalogue                          GET     ok     ok     ok     ok     ok     ok
facilities.find                               GET     ok     ok     ok     ok     ok     ok
facilities.detail                             GET     404    404    404    ok     404    ok
facilities.manage.photo                       GET     404    404    404    ok     404    ok
agreements.challenges                         GET     ok     ok     ok     ok     ok     ok
agreements.challenge                          GET     ok     ok     ok     ok     ok     ok
agreements.registry                           GET     ok     ok     ok     ok     ok     ok
stats.open_data                               GET     ok     ok     ok     ok     ok     ok
calendars.feed                                GET     ok     ok     ok     ok     ok     ok

# accounts: logging in and out, the profile
accounts.login                                GET     ok     ok     ok     ok     ok     ok
accounts.login                                POST    ok     ok     ok     ok     ok     ok
accounts.logout                               POST    ok     ok     ok     ok     ok     ok
accounts.register                             GET     ok     ok     ok     ok     ok     ok
accounts.register                             POST    ok     ok     ok     ok     ok     ok
accounts.register_details                     GET     ok     ok     ok     ok     ok     ok
accounts.register_details                     POST    ok     ok     ok     ok     ok     ok
accounts.forgot_password                      GET     ok     ok     ok     ok     ok     ok
accounts.forgot_password                      POST    ok     ok     ok     ok     ok     ok
accounts.reset_password                       GET     ok     ok     ok     ok     ok     ok
accounts.reset_password                       POST    ok     ok     ok     ok     ok     ok
accounts.profile                              GET     login  ok     ok     ok     ok     ok
accounts.update_profile                       POST    login  ok     ok     ok     ok     ok
accounts.change_password                      POST    login  ok     ok     ok     ok     ok
accounts.log_out_everywhere                   POST    login  ok     ok     ok     ok     ok
accounts.create_token                         POST    login  ok     ok     ok     ok     ok
accounts.revoke_token                         POST    login  ok     404    404    404    404
accounts.switch_organisation                  POST    login  ok     404    404    404    404
accounts.download_data                        GET     login  ok     ok     ok     ok     ok
accounts.delete_account                       GET     login  ok     ok     ok     ok     ok
accounts.delete_account                       POST    login  ok     ok     ok     ok     ok
accounts.update_notifications                 POST    login  ok     ok     ok     ok     ok

# notifications (A's)
notifications.index                           GET     login  ok     ok     ok     ok     ok
notifications.open_one                        GET     login  ok     404    404    404    404
notifications.read_all                        POST    login  ok     ok     ok     ok     ok

# accounts: admin and staff pages
accounts.audit_log                            GET     login  403    403    ok     ok     ok
accounts.outbox                               GET     login  403    403    403    403    ok
accounts.resend                               POST    login  403    403    403    403    ok
accounts.departments                          GET     login  403    403    403    403    ok
accounts.edit_department                      GET     login  403    403    403    403    ok
accounts.edit_department                      POST    login  403    403    403    403    ok
accounts.users                                GET     login  403    403    403    403    ok
accounts.set_user_active                      POST    login  403    403    403    403    ok

# facility management (X's facility)
facilities.manage.index                       GET     login  403    403    ok     ok     ok
facilities.manage.create                      GET     login  403    403    ok     ok     ok
facilities.manage.create                      POST    login  403    403    ok     ok     ok
facilities.manage.import_csv                  GET     login  403    403    ok     ok     ok
facilities.manage.import_csv                  POST    login  403    403    ok     ok     ok
facilities.manage.export_csv                  GET     login  403    403    ok     ok     ok
facilities.manage.facility                    GET     login  404    404    ok     404    ok
facilities.manage.amenities                   GET     login  403    403    403    403    ok
facilities.manage.edit_amenity                GET     login  403    403    403    403    ok
facilities.manage.edit_amenity                POST    login  403    403    403    403    ok
facilities.manage.edit                        GET     login  404    404    ok     404    ok
facilities.manage.edit                        POST    login  404    404    ok     404    ok
facilities.manage.set_status                  POST    login  404    404    ok     404    ok
facilities.manage.history                     GET     login  404    404    ok     404    ok
facilities.manage.hours                       GET     login  404    404    ok     404    ok
facilities.manage.hours                       POST    login  404    404    ok     404    ok
facilities.manage.delete_hours                POST    login  404    404    ok     404    ok
facilities.manage.special                     GET     login  404    404    ok     404    ok
facilities.manage.special                     POST    login  404    404    ok     404    ok
facilities.manage.delete_special              POST    login  404    404    ok     404    ok
facilities.manage.closures                    GET     login  404    404    ok     404    ok
facilities.manage.closures                    POST    login  404    404    ok     404    ok
facilities.manage.delete_closure              POST    login  404    404    ok     404    ok
facilities.manage.import_closures             POST    login  404    404    ok     404    ok
facilities.manage.sync_closures               POST    login  404    404    ok     404    ok
facilities.manage.refresh_closures            POST    login  404    404    ok     404    ok
facilities.manage.stop_closure_sync           POST    login  404    404    ok     404    ok
facilities.manage.rules                       GET     login  404    404    ok     404    ok
facilities.manage.rules                       POST    login  404    404    ok     404    ok
facilities.manage.terms                       GET     login  404    404    ok     404    ok
facilities.manage.terms                       POST    login  404    404    ok     404    ok
facilities.manage.questions                   GET     login  404    404    ok     404    ok
facilities.manage.questions                   POST    login  404    404    ok     404    ok
facilities.manage.edit_question               GET     login  404    404    ok     404    ok
facilities.manage.edit_question               POST    login  404    404    ok     404    ok
facilities.manage.remove_question             POST    login  404    404    ok     404    ok
facilities.manage.photos                      GET     login  404    404    ok     404    ok
facilities.manage.photos                      POST    login  404    404    ok     404    ok
facilities.manage.edit_photo                  POST    login  404    404    ok     404    ok
facilities.manage.delete_photo                POST    login  404    404    ok     404    ok

# prices and invoices
pricing.prices                                GET     login  403    403    ok     ok     ok
pricing.report                                GET     login  403    403    ok     ok     ok
pricing.tariffs                               GET     login  404    404    ok     404    ok
pricing.new_tariff                            GET     login  404    404    ok     404    ok
pricing.new_tariff                            POST    login  404    404    ok     404    ok
pricing.edit_tariff                           GET     login  404    404    ok     404    ok
pricing.edit_tariff                           POST    login  404    404    ok     404    ok
pricing.delete_tariff                         POST    login  404    404    ok     404    ok
pricing.invoices                              GET     login  ok     ok     403    403    ok
pricing.invoice                               GET     login  ok     404    404    404    ok
pricing.credit                                GET     login  403    404    404    404    ok
pricing.credit                                POST    login  403    404    404    404    ok
pricing.export                                GET     login  403    403    403    403    ok
pricing.issue                                 POST    login  403    403    403    403    ok
pricing.subsidies                             GET     login  403    403    403    403    ok

# booking (X's published facility) and A's reservations
reservations.choose                           GET     ok     ok     ok     ok     ok     ok
reservations.hold                             POST    login  ok     ok     403    403    403
reservations.series                           GET     login  ok     ok     ok     ok     ok
reservations.series                           POST    login  ok     ok     ok     ok     ok
reservations.details                          GET     login  ok     404    404    404    404
reservations.details                          POST    login  ok     404    404    404    404
reservations.review                           GET     login  ok     404    404    404    404
reservations.review                           POST    login  ok     404    404    404    404
reservations.release                          POST    login  ok     404    404    404    404
reservations.confirmation                     GET     login  ok     404    ok     404    ok
reservations.mine                             GET     login  ok     ok     ok     ok     ok
reservations.organisation                     GET     login  ok     ok     403    403    403
reservations.detail                           GET     login  ok     404    ok     404    ok
reservations.cancel                           GET     login  ok     404    ok     404    ok
reservations.cancel                           POST    login  ok     404    ok     404    ok
reservations.change                           GET     login  ok     404    ok     404    ok
reservations.change                           POST    login  ok     404    ok     404    ok
calendars.reservation_ics                     GET     login  ok     404    ok     404    ok

# deciding (X's pending request) and X's calendar
reservations.inbox                            GET     login  403    403    ok     ok     ok
reservations.decide                           GET     login  403    404    ok     404    ok
reservations.approve                          POST    login  403    404    ok     404    ok
reservations.reject                           POST    login  403    404    ok     404    ok
reservations.return_to_handling               POST    login  403    404    ok     404    ok
reservations.check_in                         POST    login  403    404    ok     404    ok
reservations.no_show                          POST    login  403    404    ok     404    ok
reservations.check_in                         GET     login  403    404    ok     404    ok
reservations.no_show                          GET     login  403    404    ok     404    ok
reservations.undo_day_action                  POST    login  403    404    ok     404    ok
reservations.calendar                         GET     login  403    403    ok     403    ok
reservations.block                            POST    login  403    403    ok     403    ok
reservations.department_calendar_home         GET     login  403    403    ok     ok     ok
reservations.department_calendar              GET     login  403    403    ok     403    ok

# calendar feeds (A's feeds)
calendars.feeds_page                          GET     login  ok     ok     ok     ok     ok
calendars.create_feed                         POST    login  ok     404    404    404    404
calendars.regenerate_feed                     POST    login  ok     404    404    404    403
calendars.revoke_feed                         POST    login  ok     404    404    404    ok
calendars.all_feeds                           GET     login  403    403    403    403    ok

# webhooks (A's); the page offers only one's own organisations (another's id: a form error)
webhooks.webhooks_page                        GET     login  ok     ok     ok     ok     ok
webhooks.create_webhook                       POST    login  ok     ok     ok     ok     ok
webhooks.webhook_page                         GET     login  ok     404    404    404    ok
webhooks.delete_webhook                       POST    login  ok     404    404    404    ok
webhooks.resend_delivery                      POST    login  ok     404    404    404    ok

# statistics
stats.dashboard                               GET     login  403    403    ok     ok     ok
stats.overview                                GET     login  403    403    403    403    ok
stats.download                                GET     login  403    403    ok     ok     ok

# pilot agreements (A's draft, A's submitted proposal hosted by X)
agreements.index                              GET     login  ok     ok     ok     ok     ok
agreements.new                                GET     login  ok     ok     403    403    403
agreements.new                                POST    login  ok     ok     403    403    403
agreements.detail                             GET     login  ok     404    404    404    404
agreements.edit                               GET     login  ok     404    404    404    404
agreements.edit                               POST    login  ok     404    404    404    404
agreements.document                           GET     login  ok     404    ok     404    ok
agreements.transition                         POST    login  ok     404    404    404    404
agreements.accept                             POST    login  ok     404    ok     404    ok
agreements.report                             POST    login  ok     404    403    404    403
agreements.accept_report                      POST    login  403    404    ok     404    ok
agreements.assign                             POST    login  403    404    ok     404    ok
agreements.review                             POST    login  403    404    ok     404    ok
agreements.comment                            POST    login  ok     404    ok     404    ok
agreements.challenge_new                      GET     login  403    403    ok     ok     ok
agreements.challenge_new                      POST    login  403    403    ok     ok     ok
agreements.templates                          GET     login  403    403    403    403    ok
agreements.templates                          POST    login  403    403    403    403    ok

# seasonal rounds (X's open round with fx, A's application and an allocation of it)
seasons.index                                 GET     ok     ok     ok     ok     ok     ok
seasons.detail                                GET     ok     ok     ok     ok     ok     ok
seasons.apply                                 GET     login  ok     ok     403    403    403
seasons.apply                                 POST    login  ok     ok     403    403    403
seasons.withdraw                              POST    login  ok     404    404    404    404
seasons.result                                GET     login  ok     404    404    404    404
seasons.respond                               POST    login  ok     404    404    404    404
seasons.create                                GET     login  403    403    ok     ok     ok
seasons.create                                POST    login  403    403    ok     ok     ok
seasons.edit                                  GET     login  403    403    ok     403    ok
seasons.edit                                  POST    login  403    403    ok     403    ok
seasons.act                                   POST    login  403    403    ok     403    ok
seasons.manage                                GET     login  403    403    ok     403    ok
seasons.move                                  POST    login  404    404    ok     404    ok
seasons.remove                                POST    login  404    404    ok     404    ok
seasons.lock                                  POST    login  404    404    ok     404    ok

# the API (a bearer token per caller)
api.openapi_document                          GET     ok     ok     ok     ok     ok     ok
api.me                                        GET     login  ok     ok     ok     ok     ok
api.update_me                                 PATCH   login  ok     ok     ok     ok     ok
api.my_data                                   GET     login  ok     ok     ok     ok     ok
api.get_settings                              GET     login  ok     ok     ok     ok     ok
api.put_settings                              PUT     login  ok     ok     ok     ok     ok
api.list_notifications                        GET     login  ok     ok     ok     ok     ok
api.read_all                                  POST    login  ok     ok     ok     ok     ok
api.read_one                                  POST    login  ok     404    404    404    404
api.list_tokens                               GET     login  ok     ok     ok     ok     ok
api.create_token                              POST    login  403    403    403    403    ok
api.revoke_token                              DELETE  login  403    403    403    403    404
api.list_facilities                           GET     ok     ok     ok     ok     ok     ok
api.get_facility                              GET     404    404    404    ok     404    ok
api.facility_availability                     GET     ok     ok     ok     ok     ok     ok
api.facility_quote                            GET     404    ok     404    ok     ok     ok
api.list_tariffs                              GET     login  403    403    ok     403    ok
api.put_tariff                                PUT     login  403    403    ok     403    ok
api.list_invoices                             GET     login  ok     ok     403    403    ok
api.get_invoice                               GET     login  ok     404    404    404    ok
api.reservation_list                          GET     login  ok     ok     ok     ok     ok
api.reservation_create                        POST    login  ok     404    404    404    404
api.reservation_preview                       POST    login  ok     404    404    404    404
api.reservation_detail                        GET     login  ok     404    ok     404    ok
api.reservation_cancel                        POST    login  ok     404    ok     404    ok
api.reservation_approve                       POST    login  403    403    ok     404    ok
api.reservation_reject                        POST    login  403    403    ok     404    ok
api.reservation_check_in                      POST    login  403    403    ok     404    ok
api.reservation_no_show                       POST    login  403    403    ok     404    ok
api.reservation_undo                          POST    login  403    403    ok     404    ok
api.list_feeds                                GET     login  ok     ok     ok     ok     ok
api.create_feed                               POST    login  ok     404    404    404    404
api.regenerate_feed                           POST    login  ok     404    404    404    403
api.revoke_feed                               DELETE  login  ok     404    404    404    ok
api.agreement_list                            GET     login  ok     ok     ok     ok     ok
api.agreement_create                          POST    login  ok     404    404    404    404
api.agreement_detail                          GET     login  ok     404    404    404    404
api.agreement_transition                      POST    login  ok     404    404    404    404
api.challenge_list                            GET     ok     ok     ok     ok     ok     ok
api.challenge_create                          POST    login  403    403    ok     403    ok
api.pilot_list                                GET     ok     ok     ok     ok     ok     ok
api.round_list                                GET     ok     ok     ok     ok     ok     ok
api.round_create                              POST    login  403    403    ok     403    ok
api.round_detail                              GET     ok     ok     ok     ok     ok     ok
api.round_apply                               POST    login  ok     404    404    404    404
api.round_allocate                            POST    login  403    403    ok     403    ok
api.round_allocation                          GET     login  ok     ok     ok     ok     ok
api.round_publish                             POST    login  403    403    ok     403    ok
api.list_webhooks                             GET     login  ok     ok     ok     ok     ok
api.create_webhook                            POST    login  ok     404    404    404    ok
api.get_webhook                               GET     login  ok     404    404    404    ok
api.delete_webhook                            DELETE  login  ok     404    404    404    ok
api.list_deliveries                           GET     login  ok     404    404    404    ok
api.resend_delivery                           POST    login  ok     404    404    404    ok
api.utilisation                               GET     ok     ok     ok     ok     ok     ok
"""

# Rows whose expected outcome the app does not give yet: each fails as expected until fixed
# (then this entry goes).
KNOWN_HOLES: dict[tuple[str, str], str] = {}   # (endpoint, method): why, while a found hole waits for its fix

# Private texts of each side, and who may read them.
A_SIDE = {"memA", "mgrX", "admin"}
B_SIDE = {"memB", "mgrY", "admin"}
MARKERS = {
    "Alpha board meeting": A_SIDE,        # A's confirmed reservation at X
    "Alpha pending request": A_SIDE,      # A's pending request at X
    "Alpha draft pilot": {"memA", "admin"},  # A's agreement draft (admins read the whole audit trail)
    "Alpha proposed pilot": A_SIDE,       # A's submitted agreement, hosted by X
    "Alpha approved pilot": A_SIDE,       # … and an approved one
    "Alpha season wish": A_SIDE,          # A's application to X's seasonal round
    "alma.alpha@example.com": A_SIDE,
    "Alpha private notice": {"memA"},     # A's member's in-app notification
    "alpha-hook": {"memA", "admin"},      # A's webhook address
    "Beta board meeting": B_SIDE,
    "Beta pending request": B_SIDE,
    "Beta draft pilot": {"memB", "admin"},
    "Beta proposed pilot": B_SIDE,
    "bo.beta@example.com": B_SIDE,
    "X drafting room": {"mgrX", "admin"},  # X's draft facility
}
# A feed's address is its credential: whoever has it reads it (calendar apps send no login).
NOT_SEARCHED = {"calendars.feed"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    expected: dict[str, str]


def _rows() -> list[Row]:
    rows = []
    for line in MATRIX.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        endpoint, method, *outcomes = line.split()
        assert len(outcomes) == len(ROLES), line
        assert set(outcomes) <= {"ok", "login", "403", "404"}, line
        rows.append(Row(endpoint, method, dict(zip(ROLES, outcomes))))
    return rows


ROWS = _rows()


# --- the world ---------------------------------------------------------------------------------

_seq = itertools.count(1)


@dataclass
class World:
    app: object
    users: dict = field(default_factory=dict)       # role → User (anon: None)
    tokens: dict = field(default_factory=dict)      # role → bearer token
    clients: dict = field(default_factory=dict)     # role → FlaskClient
    objects: dict = field(default_factory=dict)     # name → object

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _day(offset: int) -> date:
    return datetime.now(HELSINKI).date() + timedelta(days=offset)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI).astimezone(ZoneInfo("UTC"))


def _facility(name: str, slug: str, department, status=FacilityStatus.published) -> Facility:
    facility = Facility(name=name, slug=slug, department=department, category="meeting_room", capacity=20,
                        status=status, timezone="Europe/Helsinki", district="Keskusta")
    facility.rules = BookingRules(slot_minutes=30, min_duration_minutes=30, max_duration_minutes=8 * 60,
                                  min_notice_minutes=0, max_advance_days=365,
                                  approval_policy=ApprovalPolicy.automatic, allow_multi_day=True)
    for weekday in range(7):
        facility.opening_hours.append(OpeningHours(valid_from=date(2000, 1, 1), weekday=weekday,
                                                   start_time=time(8), end_time=time(20)))
    db.session.add(facility)
    return facility


def tariff_input(name: str = "Standard", valid_from: date = date(2020, 1, 1)) -> TariffInput:
    return TariffInput(name, valid_from, TariffTerms(unit="per_hour", base_price_cents=6000))


def _agreement_input(facility: Facility, title: str, day: date) -> AgreementInput:
    return AgreementInput(
        title=title, start_date=day, end_date=day + timedelta(days=20), description="Sensors on the roof.",
        kpis="Uptime", insurer="Vakuutus Oy", insurance_policy="P-1", insurance_expiry_date=day + timedelta(days=400),
        removal="Removed within a week.", partners=[], blocks=[BlockInput(facility, _at(day, 12), _at(day, 14))])


def _build(world: World) -> None:
    o = world.objects
    x = accounts.get_or_create_department("Department X")
    y = accounts.get_or_create_department("Department Y")
    org_a = accounts.create_organisation("Alpha Oy", ActorType.sme)
    org_b = accounts.create_organisation("Beta ry", ActorType.third_sector)
    people = {"memA": ("alma.alpha@example.com", "Alma Alpha", Role.member, [], org_a),
              "memB": ("bo.beta@example.com", "Bo Beta", Role.member, [], org_b),
              "mgrX": ("max.x@example.com", "Max Xmanager", Role.facility_manager, [x], None),
              "mgrY": ("yrjo.y@example.com", "Yrjo Ymanager", Role.facility_manager, [y], None),
              "admin": ("ada.admin@example.com", "Ada Admin", Role.admin, [], None)}
    for role, (email, name, kind, departments, organisation) in people.items():
        world.users[role] = accounts.create_user(email, name, PASSWORD, role=kind, departments=departments,
                                                 organisation=organisation, membership_role=MembershipRole.owner)
    fx = _facility("X Hall", "x-hall", x)
    fx.closure_calendar_url = "http://127.0.0.1:9/closures.ics"  # never fetched: a private address
    fy = _facility("Y Hall", "y-hall", y)
    draft = _facility("X drafting room", "x-drafting-room", x, FacilityStatus.draft)
    db.session.flush()
    draft.photos.append(FacilityPhoto(storage_key="matrix-photo", content_type="image/jpeg", width=1, height=1))
    get_storage().save(photo_file_key("matrix-photo", "full", "image/jpeg"), b"not really a photo")
    o.update(x=x, y=y, org_a=org_a, org_b=org_b, fx=fx, fy=fy, draft=draft)
    db.session.commit()

    for role in world.users:
        world.tokens[role] = accounts.create_api_token(world.users[role], "matrix")
    pricing.save_tariff(fx, tariff_input())
    db.session.commit()

    day = _day(14)
    with unit_of_work():
        for side, facility, org in (("Alpha", fx, org_a), ("Beta", fy, org_b)):
            user = world.users["memA" if side == "Alpha" else "memB"]
            o[f"res_{side}"] = reservations.create_reservation(
                user, facility, org, _at(day, 10), _at(day, 11), title=f"{side} board meeting")
            o[f"pending_{side}"] = reservations.create_reservation(
                user, facility, org, _at(day, 14), _at(day, 15), title=f"{side} pending request",
                free_of_charge_reason="We are volunteers.")
            o[f"draft_{side}"] = agreements.create_agreement(
                user, org, _agreement_input(facility, f"{side} draft pilot", day + timedelta(days=30)))
            proposed = agreements.create_agreement(
                user, org, _agreement_input(facility, f"{side} proposed pilot", day + timedelta(days=60)))
            agreements.transition(user, proposed, "submit")
            o[f"proposed_{side}"] = proposed
        agreements.save_template(None, "Pilot agreement", "Pilot agreement: $title\n")
        approved = agreements.create_agreement(world.users["memA"], org_a, _agreement_input(
            fx, "Alpha approved pilot", day + timedelta(days=90)))
        agreements.transition(world.users["memA"], approved, "submit")
        agreements.transition(world.users["mgrX"], approved, "approve")
        o["approved_Alpha"] = approved
        o["challenge"] = agreements.create_challenge(world.users["mgrX"], x, ChallengeInput(
            title="Quieter streets", need="Less noise.", period_start_date=day, period_end_date=day + timedelta(90),
            deadline_dt=_at(day, 12), criteria=[{"name": "Impact", "weight": 100}]))
    assert o["pending_Alpha"].status.value == "pending"

    # An invoice of A: a billable price from last month, invoiced.
    last_month = _day(0).replace(day=1) - timedelta(days=1)
    kept = pricing.snapshot(fx, org_a, _at(last_month, 10), _at(last_month, 12), description="Matrix")
    pricing.mark_billable(kept)
    [o["invoice"]] = invoicing.issue_invoices(last_month.year, last_month.month, organisation=org_a)
    o["tariff"] = pricing.current_tariffs(fx)[0]
    o["question"] = BookingQuestion(facility=fx, label="Food?")
    o["amenity"] = Amenity(code="matrix_projector", group="technology", name="Matrix projector", translations={})
    o["closure"] = Closure(facility=fx, start_dt=_at(_day(600), 0), end_dt=_at(_day(601), 0), reason="Repairs")
    o["photo"] = FacilityPhoto(facility=fx, storage_key="matrix-photo-x", content_type="image/jpeg", width=1,
                               height=1)
    db.session.add_all([o["question"], o["closure"], o["photo"], o["amenity"]])
    db.session.commit()
    o["feed"], o["feed_token"] = calendars.create_feed(world.users["memA"], "organisation", org_a.id)
    db.session.commit()
    o["notification"] = Notification(user_id=world.users["memA"].id, subject="Alpha private notice",
                                     link=f"/reservations/{o['res_Alpha'].id}")
    db.session.add(o["notification"])
    db.session.commit()
    o["message"] = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    # A's webhook, at a private address: nothing is ever sent from this machine.
    o["webhook"] = _webhook(world, "https://10.11.12.13/alpha-hook")
    o["delivery"] = WebhookDelivery(webhook=o["webhook"], event_id="evt_matrix", event_type="reservation.created",
                                    body="{}", give_up_dt=_at(_day(1), 0))
    db.session.add(o["delivery"])
    db.session.commit()
    _season_round(world)


def _season_round(w: World) -> None:
    """X's seasonal round, open now, with A's application and an allocation of its wish."""
    now = datetime.now(ZoneInfo("UTC"))
    with unit_of_work():
        round_ = seasons.create_round(w.users["mgrX"], seasons.RoundInput(
            name="Matrix round", season_start=_day(70), season_end=_day(120), opens_dt=now - timedelta(days=1),
            closes_dt=now + timedelta(days=30), facilities=[w.fx], department_id=w.x.id))
        seasons.open_round(w.users["mgrX"], round_)
        application = seasons.save_application(w.users["memA"], round_, w.org_a, seasons.ApplicationInput(
            [_season_wish(w, "Alpha season wish")]))
        allocation = SeasonAllocation(round=round_, wish=application.wishes[0], facility=w.fx, weekday=1,
                                      start_time=time(10), end_time=time(11))
        db.session.add(allocation)
    w.objects.update(season_round=round_, season_allocation=allocation)


def _fresh_season_allocation(w: World) -> int:
    """Another wish of A's application, allocated (moving, removing or a new application takes the old one)."""
    application = db.session.scalar(sa.select(SeasonApplication).where(SeasonApplication.organisation_id == w.org_a.id))
    wish = SeasonWish(position=next(_seq), purpose="Alpha season wish", weekday=1, earliest=time(9), latest=time(12),
                      duration_minutes=60)
    application.wishes.append(wish)
    allocation = SeasonAllocation(round=application.round, wish=wish, facility=w.fx, weekday=2,
                                  start_time=time(10), end_time=time(11))
    db.session.add(allocation)
    db.session.commit()
    return allocation.id


def _season_wish(w: World, purpose: str) -> seasons.WishInput:
    return seasons.WishInput(purpose=purpose, weekday=1, earliest=time(9), latest=time(12), duration_minutes=60,
                             facility_ids=[w.fx.id])


def _webhook(w: World, url: str) -> Webhook:
    webhook = Webhook(organisation_id=w.org_a.id, url=url, events=["reservation.created"], secret="whsec_matrix",
                      created_by_id=w.users["memA"].id)
    db.session.add(webhook)
    db.session.commit()
    return webhook


# Fresh objects for rows whose action destroys or moves what it acts on, so that each
# request finds its object as the first one did.

def _fresh_closure(w: World) -> int:
    day = _day(600 + next(_seq))
    closure = Closure(facility=w.fx, start_dt=_at(day, 0), end_dt=_at(day + timedelta(days=1), 0))
    db.session.add(closure)
    db.session.commit()
    return closure.id


def _fresh_hours(w: World) -> str:
    valid_from = _day(400 + next(_seq))
    w.fx.opening_hours.append(OpeningHours(valid_from=valid_from, weekday=0, start_time=time(9), end_time=time(17)))
    db.session.commit()
    return valid_from.isoformat()


def _fresh_special(w: World) -> str:
    day = _day(400 + next(_seq))
    db.session.add(SpecialOpening(facility=w.fx, date=day, start_time=time(9), end_time=time(12)))
    db.session.commit()
    return day.isoformat()


def _fresh_question(w: World) -> int:
    question = BookingQuestion(facility=w.fx, label=f"Question {next(_seq)}")
    db.session.add(question)
    db.session.commit()
    return question.id


def _fresh_photo(w: World) -> int:
    photo = FacilityPhoto(facility=w.fx, storage_key=f"matrix-{next(_seq)}", content_type="image/jpeg", width=1,
                          height=1)
    db.session.add(photo)
    db.session.commit()
    return photo.id


def _fresh_tariff(w: World) -> int:
    tariff, _changed = pricing.save_tariff(w.fx, tariff_input(name="Later", valid_from=_day(400 + next(_seq))))
    db.session.commit()
    return tariff.id


def _fresh_token(w: World) -> int:
    api_token, _token = accounts.issue_api_token(w.users["memA"], "fresh")
    db.session.commit()
    return api_token.id


def _fresh_feed(w: World) -> int:
    feed, _token = calendars.create_feed(w.users["memA"], "organisation", w.org_a.id)
    db.session.commit()
    return feed.id


def _fresh_webhook(w: World) -> int:
    return _webhook(w, f"https://10.11.12.13/fresh-{next(_seq)}").id


def _fresh_user(w: World) -> int:
    user = accounts.create_user(f"spare{next(_seq)}@example.com", "Spare Alpha", PASSWORD, organisation=w.org_a,
                                membership_role=MembershipRole.member)
    db.session.commit()
    return user.id


def _fresh_registration(w: World) -> str:
    """A registration link's token for an address nobody uses yet."""
    return accounts.make_registration_token(f"signup{next(_seq)}@example.com")


def _fresh_draft(w: World) -> int:
    with unit_of_work():
        agreement = agreements.create_agreement(w.users["memA"], w.org_a, _agreement_input(
            w.fx, "Fresh pilot", _day(30)))
    return agreement.id


def _fresh_pending(w: World) -> int:
    start = _at(_day(20 + next(_seq) % 150), 18)
    with unit_of_work():
        made = reservations.create_reservation(w.users["memA"], w.fx, w.org_a, start, start + timedelta(hours=1),
                                               title="Fresh request", free_of_charge_reason="Volunteers.",
                                               accept_terms=True)
    return made.id


# URL parameters by name, and where an endpoint needs something else.
PARAMS = {
    "slug": lambda w: w.fx.slug,
    "facility_id": lambda w: w.fx.id,
    "reservation_id": lambda w: w.res_Alpha.id,
    "agreement_id": lambda w: w.proposed_Alpha.id,
    "challenge_id": lambda w: w.challenge.id,
    "invoice_id": lambda w: w.invoice.id,
    "tariff_id": lambda w: w.tariff.id,
    "question_id": lambda w: w.question.id,
    "amenity_id": lambda w: w.amenity.id,
    "closure_id": lambda w: w.closure.id,
    "photo_id": lambda w: w.photo.id,
    "feed_id": lambda w: w.feed.id,
    "notification_id": lambda w: w.notification.id,
    "message_id": lambda w: w.message.id,
    "webhook_id": lambda w: w.webhook.id,
    "delivery_id": lambda w: w.delivery.id,
    "token_id": lambda w: _fresh_token(w),
    "department_id": lambda w: w.x.id,
    "user_id": lambda w: _fresh_user(w),
    "token": lambda w: "not-a-reset-token",
    "valid_from": lambda w: "2000-01-01",
    "day": lambda w: _day(3).isoformat(),
    "key": lambda w: "matrix-photo",
    "table": lambda w: "rows",
    "filename": lambda w: "css/app.css",
    "name": lambda w: "submit",
    "transition": lambda w: "submit",
    "round_id": lambda w: w.season_round.id,
    "allocation_id": lambda w: w.season_allocation.id,
    "action": lambda w: "allocate",
}
OVERRIDES = {
    "facilities.detail": {"slug": lambda w: w.draft.slug},
    "api.get_facility": {"facility_id": lambda w: w.draft.id},
    "calendars.feed": {"token": lambda w: w.feed_token},
    "accounts.register_details": {"token": _fresh_registration},
    "facilities.manage.delete_closure": {"closure_id": _fresh_closure},
    "facilities.manage.delete_hours": {"valid_from": _fresh_hours},
    "facilities.manage.delete_special": {"day": _fresh_special},
    "facilities.manage.remove_question": {"question_id": _fresh_question},
    "facilities.manage.delete_photo": {"photo_id": _fresh_photo},
    "pricing.delete_tariff": {"tariff_id": _fresh_tariff},
    "calendars.revoke_feed": {"feed_id": _fresh_feed},
    "calendars.regenerate_feed": {"feed_id": _fresh_feed},
    "api.revoke_feed": {"feed_id": _fresh_feed},
    "webhooks.delete_webhook": {"webhook_id": _fresh_webhook},
    "api.delete_webhook": {"webhook_id": _fresh_webhook},
    "api.regenerate_feed": {"feed_id": _fresh_feed},
    "agreements.detail": {"agreement_id": lambda w: w.draft_Alpha.id},
    "agreements.document": {"agreement_id": lambda w: w.approved_Alpha.id},
    "agreements.accept": {"agreement_id": lambda w: w.approved_Alpha.id},
    "agreements.edit": {"agreement_id": lambda w: w.draft_Alpha.id},
    "agreements.transition": {"agreement_id": _fresh_draft},
    "api.agreement_detail": {"agreement_id": lambda w: w.draft_Alpha.id},
    "api.agreement_transition": {"agreement_id": _fresh_draft},
    "reservations.decide": {"reservation_id": lambda w: w.pending_Alpha.id},
    "reservations.approve": {"reservation_id": _fresh_pending},
    "reservations.reject": {"reservation_id": _fresh_pending},
    "reservations.return_to_handling": {"reservation_id": _fresh_pending},
    "api.reservation_approve": {"reservation_id": _fresh_pending},
    "api.reservation_reject": {"reservation_id": _fresh_pending},
    "reservations.cancel": {"reservation_id": _fresh_pending},
    "api.reservation_cancel": {"reservation_id": _fresh_pending},
    "seasons.move": {"allocation_id": _fresh_season_allocation},
    "seasons.remove": {"allocation_id": _fresh_season_allocation},
    "seasons.lock": {"allocation_id": _fresh_season_allocation},
}

# Query strings some GETs need to do their work.
QUERIES = {
    "api.facility_availability": lambda w: {"from": _at(_day(14), 0).isoformat(), "to": _at(_day(15), 0).isoformat()},
    "api.facility_quote": lambda w: {"start": _at(_day(14), 10).isoformat(), "end": _at(_day(14), 11).isoformat(),
                                     "organisation_id": w.org_a.id},
    "api.reservation_list": lambda w: {"organisation_id": w.org_a.id},
    "api.list_invoices": lambda w: {"organisation_id": w.org_a.id},
    "reservations.series": lambda w: {"start": _at(_day(16), 10).isoformat(), "end": _at(_day(16), 11).isoformat(),
                                      "repeat": "weekly", "count": 2},
}


def _iso(day: date) -> str:
    return day.isoformat()


# Forms (pages) and JSON bodies (API) the POSTs send: (world, role) → dict.
FORMS = {
    "site.set_language": lambda w, r: {"locale": "en"},
    "accounts.login": lambda w, r: {"email": "nobody@example.com", "password": "wrong-password-1"},
    "accounts.register": lambda w, r: {"email": f"new{next(_seq)}@example.com"},
    "accounts.register_details": lambda w, r: {"name": "New Person", "password": PASSWORD, "confirm": PASSWORD,
                                               "organisation_name": "", "actor_type": "sme"},
    "accounts.forgot_password": lambda w, r: {"email": "alma.alpha@example.com"},
    "accounts.reset_password": lambda w, r: {"password": PASSWORD, "confirm": PASSWORD},
    "accounts.update_profile": lambda w, r: {"name": getattr(w.users[r], "name", "Nobody"), "locale": "en"},
    "accounts.change_password": lambda w, r: {"current": "wrong-password-1", "password": PASSWORD,
                                              "confirm": PASSWORD},
    "accounts.create_token": lambda w, r: {"name": "Matrix"},
    "accounts.delete_account": lambda w, r: {"password": "wrong-password-1", "confirm": "y"},
    "accounts.switch_organisation": lambda w, r: {"organisation_id": w.org_a.id},
    "facilities.manage.edit_amenity": lambda w, r: {"name": "Matrix projector", "group": "technology"},
    "accounts.edit_department": lambda w, r: {"description": "", "contact_email": "", "decision_days": 5},
    "accounts.set_user_active": lambda w, r: {"active": "0"},
    # Only A's member sends a whole wish (B's would give B an application, and every later row would change).
    "seasons.apply": lambda w, r: {} if r != "memA" else {"wishes-0-purpose": "Matrix wish", "wishes-0-weekday": "1",
                                   "wishes-0-earliest": "09:00", "wishes-0-latest": "12:00", "wishes-0-duration": "60",
                                   "wishes-0-frequency": "weekly", "wishes-0-age_group": "adults",
                                   "wishes-0-participants": "5", "wishes-0-first": str(w.fx.id)},
    "seasons.respond": lambda w, r: {"answer": "accept"},
    "facilities.manage.create": lambda w, r: {"name": f"New hall {next(_seq)}", "department_id": w.x.id,
                                              "category": "meeting_room", "capacity": 10,
                                              "timezone": "Europe/Helsinki"},
    "facilities.manage.edit": lambda w, r: {"name": "X Hall", "department_id": w.x.id, "category": "meeting_room",
                                            "capacity": 20, "timezone": "Europe/Helsinki", "district": "Keskusta"},
    "facilities.manage.set_status": lambda w, r: {"status": "published"},
    "facilities.manage.hours": lambda w, r: {"valid_from": _iso(_day(500 + next(_seq))),
                                             **{f"day_{d}": "08:00-20:00" for d in range(7)}},
    "facilities.manage.special": lambda w, r: {"date": _iso(_day(3)), "hours": "10:00-12:00", "reason": "Event"},
    "facilities.manage.closures": lambda w, r: {"start_date": _iso(_day(600 + next(_seq))),
                                                "end_date": _iso(_day(600 + next(_seq))), "reason": "Repairs"},
    "facilities.manage.sync_closures": lambda w, r: {"url": "http://127.0.0.1:9/closures.ics"},
    "facilities.manage.import_closures": lambda w, r: {"url": "http://127.0.0.1:9/closures.ics"},
    "facilities.manage.rules": lambda w, r: {"slot_minutes": 30, "min_duration_minutes": 30,
                                             "max_duration_minutes": 480, "min_notice_minutes": 0,
                                             "max_advance_days": 365, "approval_policy": "automatic",
                                             "allow_multi_day": "y", "late_cancellation": "allow"},
    "facilities.manage.terms": lambda w, r: {"text": "Be nice."},
    "facilities.manage.questions": lambda w, r: {"label": "Food?", "kind": "text", "position": 0},
    "facilities.manage.edit_question": lambda w, r: {"label": "Food?", "kind": "text", "position": 0,
                                                     "active": "y"},
    "facilities.manage.edit_photo": lambda w, r: {f"p{w.photo.id}-alt_text": "A hall",
                                                  f"p{w.photo.id}-position": 0},
    "pricing.new_tariff": lambda w, r: {"name": "New", "valid_from": _iso(_day(700 + next(_seq))),
                                        "unit": "per_hour", "base_price": "50", "prices_include_vat": "0",
                                        "vat_rate": "25.5", "late_fee": "none"},
    "pricing.edit_tariff": lambda w, r: {"name": "Standard", "valid_from": "2020-01-01", "unit": "per_hour",
                                         "base_price": "60", "prices_include_vat": "0", "vat_rate": "25.5",
                                         "late_fee": "none"},
    "pricing.credit": lambda w, r: {"reason": "Matrix"},
    "pricing.issue": lambda w, r: {"month": (_day(0).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")},
    "reservations.hold": lambda w, r: {"start": _at(_day(15), 8 + next(_seq) % 10).isoformat(), "duration": 60},
    "reservations.series": lambda w, r: {"title": "Series", "attendees": 1},
    "reservations.details": lambda w, r: {"title": "Meeting", "attendees": 1},
    "reservations.review": lambda w, r: {"accept_terms": "y"},
    "reservations.cancel": lambda w, r: {"reason": "Matrix", "scope": "one"},
    "reservations.change": lambda w, r: {"date": _iso(_day(14)), "start_time": "10:00", "end_time": "11:00"},
    "reservations.approve": lambda w, r: {"internal_note": ""},
    "reservations.reject": lambda w, r: {"reason": "Matrix"},
    "reservations.block": lambda w, r: {"start_date": _iso(_day(40 + next(_seq) % 300)), "start_time": "08:00",
                                        "end_time": "09:00", "title": "Maintenance"},
    "calendars.create_feed": lambda w, r: {"follow": f"organisation:{w.org_a.id}"},
    # A private address: refused after the permission check, and never fetched.
    "webhooks.create_webhook": lambda w, r: {"scope": str(w.org_a.id), "url": "https://10.11.12.13/new",
                                             "events": ["reservation.created"]},
    "agreements.new": lambda w, r: {"title": "New pilot", "start_date": _iso(_day(30)), "end_date": _iso(_day(40)),
                                    "liability": "company", "ip_rights": "company", "publicity": "open"},
    "agreements.edit": lambda w, r: {"title": "Alpha draft pilot", "start_date": _iso(_day(44)),
                                     "end_date": _iso(_day(64)), "liability": "company", "ip_rights": "company",
                                     "publicity": "open"},
    "agreements.transition": lambda w, r: {"reason": "Matrix"},
    "agreements.accept": lambda w, r: {"party": str(w.org_a.id), "confirm": "y", "document_sha256": "0" * 64},
    "agreements.report": lambda w, r: {"kpi_results": "All met."},
    "agreements.accept_report": lambda w, r: {"assessment": "Good."},
    "agreements.assign": lambda w, r: {"reviewer": w.users["mgrX"].id},
    "agreements.review": lambda w, r: {"recommendation": "approve", "scores": "4"},
    "agreements.comment": lambda w, r: {"body": "A question."},
    "agreements.challenge_new": lambda w, r: {"title": "Cleaner air", "department": w.x.id, "need": "Cleaner air.",
                                              "period_start_date": _iso(_day(30)), "period_end_date": _iso(_day(90)),
                                              "deadline_date": _iso(_day(20)), "criteria": "Impact: 100"},
    "agreements.templates": lambda w, r: {"name": "Pilot agreement", "body": "Pilot: $title"},
}
def _booking(w: World, start: datetime) -> dict:
    return {"facility_id": w.fx.id, "organisation_id": w.org_a.id, "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(), "title": "Via the API", "accept_terms": True}


BODIES = {
    "api.update_me": lambda w, r: {"locale": "en"},
    "api.create_token": lambda w, r: {"name": "Matrix"},
    "api.put_tariff": lambda w, r: {"name": "Standard", "valid_from": "2020-01-01", "unit": "per_hour",
                                    "base_price_cents": 6000, "prices_include_vat": True},
    "api.reservation_create": lambda w, r: _booking(w, _at(_day(17), 8 + next(_seq) % 10)),
    "api.reservation_preview": lambda w, r: {"facility_id": w.fx.id, "organisation_id": w.org_a.id,
                                             "start": _at(_day(18), 10).isoformat(),
                                             "end": _at(_day(18), 11).isoformat(), "recurrence": "FREQ=WEEKLY;COUNT=2"},
    "api.reservation_cancel": lambda w, r: {"reason": "Matrix"},
    "api.reservation_approve": lambda w, r: {},
    "api.reservation_reject": lambda w, r: {"reason": "Matrix"},
    "api.create_feed": lambda w, r: {"kind": "organisation", "target_id": w.org_a.id},
    "api.create_webhook": lambda w, r: {"url": "https://10.11.12.13/new", "events": ["reservation.created"],
                                        "organisation_id": w.org_a.id},
    "api.agreement_create": lambda w, r: {"organisation_id": w.org_a.id, "title": "API pilot",
                                          "start_date": _iso(_day(30)), "end_date": _iso(_day(40)),
                                          "blocks": [{"facility_id": w.fx.id, "start": _at(_day(31), 10).isoformat(),
                                                      "end": _at(_day(31), 12).isoformat()}]},
    "api.agreement_transition": lambda w, r: {"reason": "Matrix"},
    "api.round_create": lambda w, r: {"name": f"API round {next(_seq)}", "department_id": w.x.id,
                                      "season_start": _iso(_day(200)), "season_end": _iso(_day(260)),
                                      "opens": _at(_day(1), 0).isoformat(), "closes": _at(_day(20), 0).isoformat(),
                                      "facility_ids": [w.fx.id]},
    "api.round_apply": lambda w, r: {"organisation_id": w.org_a.id, "wishes": [
        {"purpose": "API wish", "weekday": 1, "earliest": "09:00", "latest": "12:00", "duration_minutes": 60,
         "facility_ids": [w.fx.id]}]},
    "api.challenge_create": lambda w, r: {"department_id": w.x.id, "title": "API challenge", "need": "Less noise.",
                                          "period_start_date": _iso(_day(30)), "period_end_date": _iso(_day(90)),
                                          "deadline": _at(_day(20), 12).isoformat(),
                                          "criteria": [{"name": "Impact", "weight": 100}]},
}
# After these, the caller's browser session has ended: log in again.
ENDS_SESSION = {"accounts.logout", "accounts.log_out_everywhere"}


def _app_config(database_url: str, uploads) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret", "SERVER_NAME": None, "MAIL_SERVER": "", "UPLOAD_FOLDER": str(uploads),
            "MAP_TILE_URL": ""}


def _log_in(world: World, role: str) -> None:
    client = world.clients[role]
    response = client.post("/login", data={"email": world.users[role].email, "password": PASSWORD})
    assert response.status_code == 302, f"{role} could not log in"


@pytest.fixture(scope="module")
def world(_schema, database_url, tmp_path_factory):
    """One world for the whole table: built once, emptied at the end."""
    app = create_app(_app_config(database_url, tmp_path_factory.mktemp("uploads")))
    with pytest.MonkeyPatch.context() as patch, app.app_context(), force_locale("en"):
        patch.setattr(account_models, "generate_password_hash",
                      lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"))
        built = World(app)
        try:
            _build(built)
            built.users["anon"] = None
            for role in ROLES:
                built.clients[role] = app.test_client()
                if role != "anon":
                    _log_in(built, role)
            yield built
        finally:
            db.session.remove()
            _empty_tables(_schema)
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def raised(monkeypatch):
    """The refusals (PermissionDenied, NotFound) services raised during a request, even those a
    page caught and showed as a flash message."""
    seen: list[str] = []
    for cls, code in ((errors.PermissionDenied, "403"), (errors.NotFound, "404")):
        def init(self, *args, _real=cls.__init__, _code=code, **kwargs):
            seen.append(_code)
            _real(self, *args, **kwargs)
        monkeypatch.setattr(cls, "__init__", init)
    return seen


# --- asking ------------------------------------------------------------------------------------

_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _url(world: World, endpoint: str, rule: str) -> str:
    overrides = OVERRIDES.get(endpoint, {})
    return _ARG.sub(lambda m: str((overrides.get(m.group(1)) or PARAMS[m.group(1)])(world)), rule)


def _rule(app, endpoint: str, method: str):
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods]
    return rule


def ask(world: World, row: Row, role: str, raised: list[str]):
    rule = _rule(world.app, row.endpoint, row.method)
    url = _url(world, row.endpoint, rule.rule)
    client = world.clients[role]
    kwargs = {}
    if row.endpoint in QUERIES:
        kwargs["query_string"] = QUERIES[row.endpoint](world)
    is_api = rule.rule.startswith("/api/")
    if is_api:
        if role != "anon":
            kwargs["headers"] = {"Authorization": f"Bearer {world.tokens[role]}"}
        if row.method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = BODIES.get(row.endpoint, lambda w, r: {})(world, role)
    elif row.method == "POST":
        kwargs["data"] = FORMS.get(row.endpoint, lambda w, r: {})(world, role)
    raised.clear()
    response = client.open(url, method=row.method, **kwargs)
    if row.endpoint in ENDS_SESSION and role != "anon":
        _log_in(world, role)
    db.session.rollback()  # nothing the request left behind reaches the next one
    return response, _outcome(response, raised, is_api)


def _outcome(response, raised: list[str], is_api: bool) -> str:
    status = response.status_code
    if status == 401 and is_api:  # (the login page itself answers a wrong password with 401)
        return "login"
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response.location)
        if target.path == "/login" and "next=" in target.query:  # Flask-Login's "log in first"
            return "login"
    if status in (403, 404):
        return str(status)
    if status >= 500:
        return f"{status}"
    if raised:
        return raised[0]
    return "ok"


def _leaks(row: Row, role: str, response) -> list[str]:
    if row.endpoint in NOT_SEARCHED:
        return []
    body = response.get_data().decode("utf-8", "replace")  # an icon or photo is bytes, searched all the same
    return [marker for marker, readers in MARKERS.items() if role not in readers and marker in body]


# --- the tests ---------------------------------------------------------------------------------

def _served(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row(world):
    """A new route fails here until the table says who may use it; a removed one, until its row goes."""
    described = [(row.endpoint, row.method) for row in ROWS]
    assert len(described) == len(set(described)), "a route has two rows"
    served = _served(world.app)
    missing, stale = sorted(served - set(described)), sorted(set(described) - served)
    assert not missing, "routes without a row in MATRIX:\n" + "\n".join(f"{e} {m}" for e, m in missing)
    assert not stale, "rows in MATRIX for routes that do not exist:\n" + "\n".join(f"{e} {m}" for e, m in stale)


@pytest.mark.parametrize("row", [pytest.param(r, marks=pytest.mark.xfail(reason=KNOWN_HOLES[(r.endpoint, r.method)],
                                                                  strict=True))
                                 if (r.endpoint, r.method) in KNOWN_HOLES else r for r in ROWS],
                         ids=[f"{r.endpoint} {r.method}" for r in ROWS])
def test_who_may(world, raised, row):
    # The refused callers ask first, so that an allowed caller's change cannot hide a refusal.
    order = sorted(ROLES, key=lambda role: row.expected[role] == "ok")
    got, leaks = {}, {}
    for role in order:
        response, got[role] = ask(world, row, role, raised)
        if found := _leaks(row, role, response):
            leaks[role] = found
    wrong = {role: f"expected {row.expected[role]}, got {got[role]}" for role in ROLES
             if got[role] != row.expected[role]}
    assert not wrong and not leaks, f"{row.endpoint} {row.method}: {wrong or ''} {leaks or ''}"
