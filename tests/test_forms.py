"""Every web form derives from booking.forms.BaseForm: text refuses control characters and
text-direction overrides, and has a length cap; the API's text refuses the same."""
from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from booking.forms import BaseForm, DEFAULT_MAX_LENGTH

RLO = "\u202e"   # RIGHT-TO-LEFT OVERRIDE: "Admin\u202enimdA" reads as something else


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_app_is_a_base_form(app):
    forms = [f for f in _subclasses(FlaskForm) if f.__module__.startswith("booking.")]
    assert len(forms) > 40
    assert [f.__qualname__ for f in forms if not issubclass(f, BaseForm)] == []


@pytest.mark.parametrize("bad", [f"Anna{RLO}nnA", "Anna\u2066x\u2069", "Anna\x07", "Anna\x85"])
def test_a_page_refuses_direction_overrides_and_control_characters_with_a_message(client, auth, member, bad):
    auth.login(member)
    response = client.post("/profile", data={"name": bad, "locale": ""})
    assert response.status_code == 422
    assert "Remove the invisible control or text-direction characters" in response.get_data(as_text=True)


def test_ordinary_text_with_newlines_tabs_and_any_script_passes(client, auth, member):
    auth.login(member)
    assert client.post("/profile", data={"name": "Åsa Öberg-Mäkinen 李 عائشة", "locale": ""}).status_code == 302


def test_a_text_field_without_its_own_cap_gets_one(app):
    from booking.accounts.forms import LoginForm
    with app.test_request_context("/", method="POST", data={"email": "x" * (DEFAULT_MAX_LENGTH + 1) + "@e.fi",
                                                             "password": "p"}):
        form = LoginForm(meta={"csrf": False})
        assert not form.validate() and "email" in form.errors


def test_the_api_refuses_a_direction_override_too(client, member, token_for):
    response = client.patch("/api/v1/me", headers=token_for(member), json={"name": f"Admin{RLO}nimdA"})
    assert response.status_code == 422 and "text-direction" in response.get_json()["detail"]
