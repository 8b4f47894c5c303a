"""Fetching a URL someone gave us: public http(s) addresses only, checked again on each redirect,
connected to the address that was checked, with size and time caps, and errors in fixed words."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from booking import config, fetching
from booking.errors import Message
from booking.fetching import FetchError, fetch, is_public


@pytest.fixture
def connections(monkeypatch):
    """Every connection fetch opens, as (address, port); a refused URL must open none."""
    opened = []
    real = fetching._connect

    def spy(address, port, timeout):
        opened.append((address, port))
        return real(address, port, timeout)

    monkeypatch.setattr(fetching, "_connect", spy)
    return opened


def refusal(url: str, **kwargs) -> Message:
    with pytest.raises(FetchError) as refused:
        fetch(url, **kwargs)
    return refused.value.reason


# --- which addresses are public -------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "100.127.255.254", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "2002:7f00:1::1",
    "64:ff9b::7f00:1", "2001:db8::1"])
def test_addresses_that_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert is_public(address)


def test_the_setting_is_off_unless_the_environment_turns_it_on(monkeypatch, tmp_path):
    monkeypatch.delenv("FETCH_ALLOW_PRIVATE", raising=False)
    assert config.load(str(tmp_path))["FETCH_ALLOW_PRIVATE"] is False
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "true")
    assert config.load(str(tmp_path))["FETCH_ALLOW_PRIVATE"] is True


# --- refused before any connection -----------------------------------------------------------

def test_non_public_addresses_are_refused_without_connecting(app, local_server, connections):
    local_server.add("/a.ics", b"BEGIN:VCALENDAR")
    for url in (local_server.url("/a.ics"), f"http://localhost:{local_server.port}/a.ics", "http://10.0.0.1/",
                "http://169.254.169.254/latest/meta-data/", f"http://[::1]:{local_server.port}/a.ics",
                "http://0.0.0.0/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/",
                "https://192.168.0.10/", "http://2130706433/"):
        assert refusal(url).code == "fetch.not_public", url
    assert connections == [] and local_server.requests == []


def test_every_resolved_address_must_be_public(app, monkeypatch, connections):
    monkeypatch.setattr(fetching, "_resolve", lambda host, port, timeout: ["93.184.216.34", "10.0.0.5"])
    assert refusal("http://calendar.example/holidays.ics").code == "fetch.not_public"
    assert connections == []


@pytest.mark.parametrize(("url", "code"), [
    ("file:///etc/passwd", "fetch.scheme"), ("ftp://example.com/a.ics", "fetch.scheme"),
    ("gopher://example.com/", "fetch.scheme"), ("javascript:alert(1)", "fetch.scheme"),
    ("webcal://example.com/a.ics", "fetch.scheme"), ("http://", "fetch.not_a_url"),
    ("http://exa mple.com/", "fetch.not_a_url"), ("http://example.com:99999/", "fetch.not_a_url"),
    ("http://user:secret@example.com/a.ics", "fetch.credentials"), ("", "fetch.scheme")])
def test_only_plain_http_and_https_addresses(app, connections, url, code):
    assert refusal(url).code == code
    assert connections == []


def test_a_redirect_to_a_private_address_is_refused_before_connecting(app, monkeypatch, local_server,
                                                                      make_local_server, connections):
    """127.0.0.1 plays the public internet here; everything else keeps the real rule."""
    real = fetching.is_public
    monkeypatch.setattr(fetching, "is_public", lambda address: address == "127.0.0.1" or real(address))
    inside = make_local_server("127.0.0.2")
    inside.add("/secret", b"internal data")
    for target in (inside.url("/secret"), "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                   f"http://[::1]:{inside.port}/secret"):
        local_server.redirect("/go", target)
        assert refusal(local_server.url("/go")).code == "fetch.not_public", target
    assert inside.requests == []
    assert {address for address, _port in connections} == {"127.0.0.1"}


# --- what a fetch does when allowed (this machine's test servers) ---------------------------

@pytest.mark.usefixtures("allow_private")
def test_fetches_a_file_and_follows_up_to_three_redirects(app, local_server, connections):
    local_server.add("/winter.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", headers={"Content-Type": "text/calendar"})
    got = fetch(local_server.url("/winter.ics"))
    assert got.body == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" and got.content_type == "text/calendar"
    local_server.redirect("/1", "/2", 301)
    local_server.redirect("/2", local_server.url("/3"), 307)
    local_server.redirect("/3", "/winter.ics", 308)
    assert fetch(local_server.url("/1")).url == local_server.url("/winter.ics")
    local_server.redirect("/0", "/1")
    assert refusal(local_server.url("/0")) == Message("fetch.too_many_redirects", n=3)
    assert "/winter.ics" not in [path for path, _headers in local_server.requests[-4:]]


@pytest.mark.usefixtures("allow_private")
def test_it_connects_to_the_address_it_checked(app, monkeypatch, local_server, connections):
    """The name is resolved once, by us; the connection goes to that answer, so a DNS server that
    answers differently the second time (rebinding) is never asked again."""
    lookups = []

    def resolve(host, port, timeout):
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(fetching, "_resolve", resolve)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: pytest.fail("a second DNS lookup"))
    local_server.add("/a.ics", b"calendar")
    assert fetch(f"http://calendar.test:{local_server.port}/a.ics").body == b"calendar"
    assert lookups == ["calendar.test"] and connections == [("127.0.0.1", local_server.port)]
    [(_path, headers)] = local_server.requests
    assert headers["Host"] == f"calendar.test:{local_server.port}"


@pytest.mark.usefixtures("allow_private")
def test_a_body_past_the_size_cap_is_refused_while_reading(app, local_server):
    assert refusal(local_server.endless("/endless"), max_bytes=1_000_000) == Message("fetch.too_large", megabytes="1")
    local_server.add("/declared", b"x" * 3000, headers={"Content-Length": "3000"})
    assert refusal(local_server.url("/declared"), max_bytes=2000).code == "fetch.too_large"


@pytest.mark.usefixtures("allow_private")
def test_a_server_that_drips_is_cut_off_at_the_time_cap(app, local_server):
    def drip(handler):
        handler.send_response(200)
        handler.end_headers()
        try:
            while True:  # until the fetch hangs up
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    local_server.add("/drip", drip)
    assert refusal(local_server.url("/drip"), timeout=1).code == "fetch.timeout"


@pytest.mark.usefixtures("allow_private")
def test_errors_never_repeat_what_the_server_said(app, local_server):
    def leaky(handler):
        handler.send_response(500, "SECRET-REASON")
        handler.send_header("X-Internal", "SECRET-HEADER")
        handler.send_header("Content-Length", "13")
        handler.end_headers()
        handler.wfile.write(b"SECRET-BODY\r\n")

    local_server.add("/leaky", leaky)
    with pytest.raises(FetchError) as refused:
        fetch(local_server.url("/leaky"))
    words = " ".join(refused.value.all_reasons())
    assert words == "The address could not be fetched: the server answered 500 Internal Server Error."
    assert refused.value.http_status == 500
    assert refusal("http://127.0.0.1:1/").code == "fetch.unreachable"


@pytest.mark.usefixtures("allow_private")
def test_something_that_is_not_http_is_refused_in_fixed_words(app):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def answer():
        conn, _address = listener.accept()
        conn.recv(1024)
        conn.sendall(b"SSH-2.0-OpenSSH_9.6 SECRET-BANNER\r\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    reason = refusal(f"http://127.0.0.1:{port}/")
    listener.close()
    assert reason.code == "fetch.not_http" and "SECRET" not in str(reason)
