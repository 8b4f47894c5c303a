"""Self-service registration: the user and their organisation, all or nothing."""
import pytest
from sqlalchemy import func, select

from booking.accounts import services
from booking.accounts.models import ActorType, Membership, MembershipRole, Organisation, User
from booking.errors import Conflict, RuleViolation
from booking.extensions import db


def _form(**overrides):
    data = {"name": "Nina New", "email": "Nina.New@Example.com", "password": "a-good-passw0rd",
            "confirm": "a-good-passw0rd", "organisation_name": "Nina Labs Oy", "actor_type": "startup",
            "business_id": "2345671-3", "address": "Testikatu 1, Kuusilahti"}
    data.update(overrides)
    return data


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_register_page_asks_for_the_person_and_the_organisation(client):
    page = client.get("/register").get_data(as_text=True)
    for label in ("Your name", "E-mail", "Password", "Organisation name", "Type of organisation",
                  "Business ID (Y-tunnus)"):
        assert label in page
    assert "Association or other third-sector organisation" in page
    assert '="None"' not in page  # no attribute rendered from a missing value


def test_registering_creates_the_user_and_their_organisation(client):
    response = client.post("/register", data=_form())
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


def test_the_business_id_is_optional(client):
    assert client.post("/register", data=_form(business_id="")).status_code == 302
    assert db.session.scalar(select(Organisation.business_id)) is None


def test_a_malformed_business_id_is_refused_and_nothing_is_written(client):
    response = client.post("/register", data=_form(business_id="2345671-4"))
    assert response.status_code == 422
    assert "Not a valid Finnish business ID. The format is 1234567-1." in response.get_data(as_text=True)
    assert _count(User) == 0 and _count(Organisation) == 0


def test_an_email_already_registered_in_any_case_is_refused(client, create_user):
    create_user("nina.new@example.com")
    users, organisations = _count(User), _count(Organisation)

    response = client.post("/register", data=_form(email="NINA.NEW@example.COM"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "An account with this e-mail address already exists." in page
    assert (_count(User), _count(Organisation)) == (users, organisations)


def test_every_problem_is_shown_at_once(client, create_user, create_organisation):
    create_user("nina.new@example.com")
    create_organisation("Nina Labs Oy", business_id="2345671-3")

    page = client.post("/register", data=_form(organisation_name="nina labs oy")).get_data(as_text=True)
    assert "An account with this e-mail address already exists." in page
    assert "An organisation with this name is already registered." in page
    assert "An organisation with this business ID is already registered." in page


def test_form_mistakes_are_listed_next_to_their_fields(client):
    response = client.post("/register", data=_form(email="not-an-address", password="short", confirm="other",
                                                   organisation_name=""))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please correct the following" in page
    assert "Use at least 10 characters" in page
    assert "The passwords do not match." in page
    assert 'aria-invalid="true"' in page
    assert _count(User) == 0


def test_a_registration_racing_another_writes_nothing(client, create_organisation, monkeypatch):
    """Two people register the same organisation at once: the database's unique constraint
    refuses the second, and its user is not left behind."""
    create_organisation("Nina Labs Oy")
    monkeypatch.setattr(services, "organisation_problems", lambda name, business_id: ({}, False))

    response = client.post("/register", data=_form(business_id=""))
    assert response.status_code == 422
    assert "Someone registered the same e-mail address or organisation just now." in response.get_data(as_text=True)
    assert _count(User) == 0
    assert _count(Membership) == 0


def test_a_logged_in_user_is_sent_away_from_the_register_page(client, auth, member):
    auth.login(member)
    assert client.get("/register").status_code == 302


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


def test_passwords_are_hashed_with_scrypt(client, real_password_hashing):
    client.post("/register", data=_form())
    user = db.session.scalar(select(User))
    assert user.password_hash.startswith("scrypt:")
    assert "a-good-passw0rd" not in user.password_hash
