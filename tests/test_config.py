"""Settings come from the environment, in one place, with documented defaults."""
from __future__ import annotations

import stat

import pytest

from booking import config, create_app

SETTINGS = ["SECRET_KEY", "DATABASE_URL", "SESSION_COOKIE_SECURE", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS",
            "DEFAULT_TIMEZONE", "DEFAULT_LOCALE", "BASE_URL", "LOGIN_MAX_FAILURES"]


@pytest.fixture
def env(monkeypatch):
    """A clean environment for the settings under test."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(env, tmp_path):
    settings = config.load(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'infrashare.sqlite'}"
    assert settings["DEFAULT_TIMEZONE"] == "Europe/Helsinki"
    assert settings["BABEL_DEFAULT_LOCALE"] == "en"
    assert settings["MAIL_SERVER"] == "" and settings["MAIL_PORT"] == 25 and settings["MAIL_USE_TLS"] is False
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["PASSWORD_RESET_MAX_AGE"] == 3600
    assert settings["LOGIN_MAX_FAILURES"] == 5


def test_a_secret_key_is_generated_once_and_kept_in_the_instance_folder(env, tmp_path):
    first = config.load(str(tmp_path))["SECRET_KEY"]
    assert len(first) >= 32
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.load(str(tmp_path))["SECRET_KEY"] == first
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no leftovers


def test_the_environment_wins(env, tmp_path):
    env.setenv("SECRET_KEY", "from-the-environment")
    env.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite")
    env.setenv("SESSION_COOKIE_SECURE", "true")
    env.setenv("MAIL_SERVER", "smtp.example.com")
    env.setenv("MAIL_PORT", "587")
    env.setenv("MAIL_USE_TLS", "yes")
    env.setenv("DEFAULT_TIMEZONE", "Europe/Stockholm")
    env.setenv("BASE_URL", "https://infrashare.example.com/")
    settings = config.load(str(tmp_path))
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
    assert settings["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/elsewhere.sqlite"
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["REMEMBER_COOKIE_SECURE"] is True
    assert (settings["MAIL_SERVER"], settings["MAIL_PORT"], settings["MAIL_USE_TLS"]) == ("smtp.example.com", 587, True)
    assert settings["DEFAULT_TIMEZONE"] == "Europe/Stockholm"
    assert settings["BASE_URL"] == "https://infrashare.example.com"


@pytest.mark.parametrize("given,used", [
    ("postgres://u:p@db/infra", "postgresql+psycopg://u:p@db/infra"),
    ("postgresql://u:p@db/infra", "postgresql+psycopg://u:p@db/infra"),
    ("postgresql+psycopg://u:p@db/infra", "postgresql+psycopg://u:p@db/infra"),
])
def test_postgresql_urls_use_psycopg_3(env, tmp_path, given, used):
    env.setenv("DATABASE_URL", given)
    assert config.load(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == used


@pytest.mark.parametrize("value,expected", [("1", True), ("TRUE", True), ("on", True), ("0", False),
                                            ("false", False), ("", False)])
def test_flags(env, tmp_path, value, expected):
    env.setenv("SESSION_COOKIE_SECURE", value)
    assert config.load(str(tmp_path))["SESSION_COOKIE_SECURE"] is expected


def test_a_number_that_is_not_one_says_which_setting(env, tmp_path):
    env.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ValueError, match="MAIL_PORT must be a whole number"):
        config.load(str(tmp_path))


def test_the_app_reads_its_settings_from_the_environment(env, tmp_path):
    env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    env.setenv("SECRET_KEY", "app-secret")
    env.setenv("SESSION_COOKIE_SECURE", "1")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert app.config["SECRET_KEY"] == "app-secret"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_secure_cookie_is_marked_secure(app, client, auth, member):
    app.config["SESSION_COOKIE_SECURE"] = True  # what SESSION_COOKIE_SECURE=1 sets, as tested above
    assert "Secure" in auth.login(member).headers["Set-Cookie"]


def test_translations_work_outside_a_request(app):
    """CLI commands and jobs have no request: gettext must fall back to the default language."""
    from flask_babel import gettext
    assert gettext("Log in") == "Log in"


@pytest.mark.parametrize("base_url, variable, secure", [
    ("http://127.0.0.1:5000", None, False), ("https://tilat.example.fi", None, True),
    ("https://tilat.example.fi", "0", False), ("http://127.0.0.1:5000", "1", True)])
def test_cookies_are_secure_by_default_when_the_site_is_https(env, tmp_path, base_url, variable, secure):
    env.setenv("BASE_URL", base_url)
    if variable is not None:
        env.setenv("SESSION_COOKIE_SECURE", variable)
    settings = config.load(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] is secure and settings["REMEMBER_COOKIE_SECURE"] is secure
