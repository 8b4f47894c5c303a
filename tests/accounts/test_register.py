"""Self-service registration in two steps: the address first (every address gets the same
answer and costs the same work; the e-mail says what to do), then, from the e-mailed link, the
person and their organisation, all or nothing."""
import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from booking.accounts import services
from booking.accounts.models import ActorType, Membership, MembershipRole, Organisation, User
from booking.audit.models import AuditEvent
from booking.errors import Conflict, RuleViolation
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from tests.facilities.helpers import count_queries

SENT = "Check your inbox"


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _mail(to):
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id.desc()))


def _same_apart_from_tokens(text: str) -> str:
    """A page with its CSRF tokens and CSP nonces blanked: what may differ between two answers."""
    return re.sub(r'((?:csrf_token|csrf-token)"[^>]*?(?:value|content)="|nonce=")[^"]*', r"\1…", text)


def test_step_one_asks_only_for_the_address(client):
    page = client.get("/register").get_data(as_text=True)
    assert "E-mail" in page and "Send the link" in page
    for label in ("Your name", "Password", "Organisation name", "Business ID"):
        assert label not in page


def test_a_new_address_gets_a_link_to_step_two(client, register):
    response = register.ask("Nina.New@Example.com")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert SENT in page and "We have sent a message to Nina.New@Example.com." in page
    assert _count(User) == 0

    mail = _mail("nina.new@example.com")
    assert mail.subject == "Continue your registration to Infrashare"
    assert "It works for 24 hours" in mail.text_body
    assert re.search(r"http://127\.0\.0\.1:5000/register/\S+", mail.text_body)
    assert 'href="http://127.0.0.1:5000/register/' in mail.html_body

    step_two = client.get(register.link("nina.new@example.com")).get_data(as_text=True)
    for label in ("Your name", "Password", "Organisation name", "Type of organisation", "Business ID (Y-tunnus)"):
        assert label in step_two
    assert "Your address nina.new@example.com is confirmed." in step_two
    assert "Association or other third-sector organisation" in step_two
    assert '="None"' not in step_two  # no attribute rendered from a missing value


def test_the_whole_journey_new_address_mail_link_account_login(client, auth, register):
    register.ask("Nina.New@Example.com")
    response = register.complete(register.link("nina.new@example.com"))
    assert response.status_code == 302

    user = db.session.scalar(select(User))
    assert user.email == "nina.new@example.com"
    assert user.name == "Nina New"
    assert user.check_password("a-good-passw0rd")
    organisation = user.current_organisation
    assert organisation.name == "Nina Labs Oy"
    assert organisation.actor_type == ActorType.startup
    assert organisation.business_id == "2345671-3"
    assert organisation.contact_email == "nina.new@example.com"
    assert [(m.organisation, m.role) for m in user.memberships] == [(organisation, MembershipRole.owner)]

    page = client.get(response.location).get_data(as_text=True)
    assert "Welcome, Nina New. Your account and Nina Labs Oy are ready." in page
    assert "Log out" in page
    auth.logout()
    assert auth.login("NINA.NEW@example.com", "a-good-passw0rd").status_code == 302


def test_where_the_person_was_going_is_kept_through_the_mail(client, register):
    register.ask("nina@example.com", next="/facilities?category=lab")
    link = register.link("nina@example.com")
    assert "next=" in link
    assert register.complete(link).location == "/facilities?category=lab"


def test_a_next_elsewhere_is_not_followed(client, register):
    register.ask("nina@example.com", next="//evil.example/")
    assert register.complete(register.link("nina@example.com")).location == "/"


# --- no enumeration ----------------------------------------------------------------------------

def test_a_known_address_gets_the_same_answer_and_an_e_mail_instead(client, create_user, register):
    known = create_user("known1@example.com", name="Kim Known")
    first = register.ask("known1@example.com")
    second = register.ask("other1@example.com")

    assert first.status_code == second.status_code == 200
    assert _same_apart_from_tokens(first.get_data(as_text=True)).replace("known1", "other1") == \
        _same_apart_from_tokens(second.get_data(as_text=True))
    ignored = {"Set-Cookie", "Content-Security-Policy"}  # the session's CSRF token; the nonce
    assert ({k: v for k, v in first.headers if k not in ignored}
            == {k: v for k, v in second.headers if k not in ignored})
    assert ({c.split("=")[0] for c in first.headers.getlist("Set-Cookie")}
            == {c.split("=")[0] for c in second.headers.getlist("Set-Cookie")})

    mail = _mail("known1@example.com")
    assert mail.subject == "You already have an Infrashare account"
    assert "Hello Kim Known," in mail.text_body
    assert "http://127.0.0.1:5000/login" in mail.text_body
    reset = re.search(r"http://127\.0\.0\.1:5000(/password/reset/\S+)", mail.text_body).group(1)
    assert "/register/" not in mail.text_body
    assert _count(User) == 1  # nothing created, nothing changed
    # The reset link in it works, as one from "Forgot your password?" does.
    assert client.post(reset, data={"password": "a-brand-new-passw0rd",
                                    "confirm": "a-brand-new-passw0rd"}).status_code == 302
    db.session.refresh(known)
    assert known.check_password("a-brand-new-passw0rd")


def test_known_and_unknown_addresses_cost_the_same_statements_and_one_message(client, create_user, register):
    """Counted, never timed: the same SQL statements, one audit event and one queued message on
    both paths (a lookup, a signed link, a rendered message)."""
    create_user("known1@example.com")
    register.ask("warm-up@example.com")  # first-request work (caches) out of the way
    register.ask("known1@example.com")

    measured = {}
    for path, email in (("known", "known1@example.com"), ("unknown", "other1@example.com")):
        outbox, audit = _count(OutboxMessage), _count(AuditEvent)
        with count_queries() as queries:
            assert register.ask(email).status_code == 200
        measured[path] = (queries.statements, _count(OutboxMessage) - outbox, _count(AuditEvent) - audit)
    assert measured["known"][1:] == measured["unknown"][1:] == (1, 1)
    assert measured["known"][0] == measured["unknown"][0]


def test_a_deactivated_account_is_answered_alike(client, admin, create_user, register):
    gone = create_user("gone1@example.com")
    gone.active = False
    db.session.commit()
    assert SENT in register.ask("gone1@example.com").get_data(as_text=True)
    body = _mail("gone1@example.com").text_body
    assert "deactivated" in body and "/password/reset/" not in body


def test_a_bad_address_is_refused_by_the_form_whoever_it_is(client):
    response = client.post("/register", data={"email": "not-an-address"})
    assert response.status_code == 422
    assert "Please correct the following" in response.get_data(as_text=True)
    assert _count(OutboxMessage) == 0


def test_step_one_reveals_no_organisation(client, create_organisation):
    """Organisation names and business IDs are not asked before the address is proven, so an
    anonymous caller learns nothing of them."""
    create_organisation("Nina Labs Oy", business_id="2345671-3")
    page = client.post("/register", data={"email": "x@example.com", "organisation_name": "Nina Labs Oy",
                                          "business_id": "2345671-3"}).get_data(as_text=True)
    assert "already registered" not in page and SENT in page


def test_the_mail_is_in_the_language_of_the_page(client, monkeypatch, register):
    from booking import events
    locales = []
    real = events.queue_email
    monkeypatch.setattr(events, "queue_email", lambda *a, **kw: locales.append(kw["locale"]) or real(*a, **kw))
    client.get("/register", headers={"Accept-Language": "sv"})
    client.post("/register", data={"email": "nina@example.com"}, headers={"Accept-Language": "sv"})
    assert locales == ["sv"]


def test_a_known_person_is_written_to_in_their_own_language(client, create_user, monkeypatch, register):
    from booking import events
    user = create_user("known1@example.com")
    user.locale = "fi"
    db.session.commit()
    locales = []
    real = events.queue_email
    monkeypatch.setattr(events, "queue_email", lambda *a, **kw: locales.append(kw["locale"]) or real(*a, **kw))
    client.post("/register", data={"email": "known1@example.com"}, headers={"Accept-Language": "sv"})
    assert locales == ["fi"]


# --- the link --------------------------------------------------------------------------------

def _refused(client, link):
    response = client.get(link)
    assert response.status_code == 302
    return response.location, client.get(response.location).get_data(as_text=True)


def test_an_expired_link_is_refused_with_a_clear_message(app, client, register, monkeypatch):
    register.ask("nina@example.com")
    link = register.link("nina@example.com")
    later = int(time.time()) + app.config["REGISTRATION_LINK_MAX_AGE"] + 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)

    location, page = _refused(client, link)
    assert location == "/register"
    assert "This registration link has expired." in page
    assert register.complete(link).status_code == 302 and _count(User) == 0


@pytest.mark.parametrize("tamper", [lambda link: link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"),
                                    lambda link: "/register/not-a-real-token"],
                         ids=["changed", "made-up"])
def test_a_tampered_link_is_refused_with_a_clear_message(client, register, tamper):
    register.ask("nina@example.com")
    location, page = _refused(client, tamper(register.link("nina@example.com")))
    assert location == "/register"
    assert "This registration link is not valid." in page
    assert _count(User) == 0


def test_a_link_signed_for_something_else_is_refused(app, client, member):
    with app.test_request_context():
        reset_token = services.make_reset_token(member)
    location, page = _refused(client, f"/register/{reset_token}")
    assert "This registration link is not valid." in page


def test_a_used_link_opens_nothing(client, auth, register):
    register.ask("nina@example.com")
    link = register.link("nina@example.com")
    assert register.complete(link).status_code == 302
    auth.logout()

    location, page = _refused(client, link)
    assert location == "/login"
    assert "This registration link was already used: the account exists." in page
    assert register.complete(link, organisation_name="Second Oy").status_code == 302
    assert _count(User) == 1 and _count(Organisation) == 1


def test_two_links_to_one_address_make_one_account(client, auth, register):
    register.ask("nina@example.com")
    first = register.link("nina@example.com")
    register.ask("nina@example.com")
    second = register.link("nina@example.com")
    register.complete(second)
    auth.logout()
    register.complete(first, organisation_name="Other Oy", business_id="")
    assert _count(User) == 1 and _count(Organisation) == 1


# --- step 2 -----------------------------------------------------------------------------------

def test_the_business_id_is_optional(client, register):
    assert register(business_id="").status_code == 302
    assert db.session.scalar(select(Organisation.business_id)) is None


def test_a_malformed_business_id_is_refused_and_nothing_is_written(client, register):
    response = register(business_id="2345671-4")
    assert response.status_code == 422
    assert "Not a valid Finnish business ID. The format is 1234567-1." in response.get_data(as_text=True)
    assert _count(User) == 0 and _count(Organisation) == 0


def test_organisation_clashes_are_shown_after_the_address_is_proven(client, create_organisation, register):
    create_organisation("Nina Labs Oy", business_id="2345671-3")
    response = register(organisation_name="nina labs oy")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "An organisation with this name is already registered." in page
    assert "An organisation with this business ID is already registered." in page
    assert _count(User) == 0


def test_form_mistakes_are_listed_next_to_their_fields(client, register):
    response = register(password="short", confirm="other", organisation_name="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please correct the following" in page
    assert "Use at least 10 characters" in page
    assert "The passwords do not match." in page
    assert 'aria-invalid="true"' in page
    assert _count(User) == 0


def test_a_registration_racing_another_writes_nothing(client, create_organisation, monkeypatch, register):
    """Two people register the same organisation at once: the database's unique constraint
    refuses the second, and its user is not left behind."""
    create_organisation("Nina Labs Oy")
    monkeypatch.setattr(services, "organisation_problems", lambda name, business_id: ({}, False))

    response = register(business_id="")
    assert response.status_code == 422
    assert "Someone registered the same e-mail address or organisation just now." in response.get_data(as_text=True)
    assert _count(User) == 0
    assert _count(Membership) == 0


def test_a_logged_in_user_is_sent_away_from_both_steps(client, auth, member, register):
    register.ask("nina@example.com")
    link = register.link("nina@example.com")
    auth.login(member)
    assert client.get("/register").status_code == 302
    assert client.get(link).status_code == 302


def test_register_service_refuses_with_every_reason(app, create_user):
    create_user("taken@example.com")
    with app.test_request_context(), pytest.raises(Conflict) as refused:
        services.register(email="Taken@example.com", name="X", password="a-good-passw0rd",
                          organisation_name="New Org", actor_type=ActorType.sme, business_id="123")
    assert set(refused.value.field_errors) == {"email", "business_id"}
    assert _count(Organisation) == 1  # only the one create_user made


def test_a_malformed_business_id_alone_breaks_a_rule(app):
    with app.test_request_context(), pytest.raises(RuleViolation):
        services.create_organisation("Fine Name", ActorType.sme, business_id="1234567-8")


def test_passwords_are_hashed_with_scrypt(client, real_password_hashing, register):
    register()
    user = db.session.scalar(select(User))
    assert user.password_hash.startswith("scrypt:")
    assert "a-good-passw0rd" not in user.password_hash


def test_an_address_gets_only_a_few_account_messages_an_hour(client, create_user, register):
    """Nobody floods an inbox through these forms: past the limit (registration and reset
    messages together) the answer stays the same and nothing more is queued."""
    create_user("known1@example.com")
    for email in ("known1@example.com", "other1@example.com"):
        for attempt in range(services.ACCOUNT_MAILS_PER_HOUR + 2):
            response = register.ask(email) if attempt % 2 else client.post("/password/forgot", data={"email": email})
            assert response.status_code in (200, 302)
        assert SENT in register.ask(email).get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.to == email)) == services.ACCOUNT_MAILS_PER_HOUR
