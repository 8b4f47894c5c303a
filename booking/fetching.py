"""Fetching a URL someone gave us, safely: public http(s) addresses only, with size and time caps.

A URL typed by a user makes our server send a request on their behalf, so every domain that
reads one (calendar import, closure-calendar refresh) goes through `fetch`, and webhook deliveries
through `post`, under the same rules:
- only http and https, without a user name or password in the address;
- the host is resolved once and EVERY address it resolves to must be public (not loopback,
  private, link-local, multicast, reserved, unspecified, shared CGNAT space, nor an IPv4 address
  of those kinds inside IPv6); the connection then goes to the address that was checked, so a
  second DNS answer cannot send it elsewhere (DNS rebinding);
- at most MAX_REDIRECTS redirects, each checked the same way;
- the body is read in chunks and refused once past the size cap; a watchdog ends the whole
  exchange at the time cap, however slowly the server drips its answer;
- errors are fixed sentences (coded Messages) that never repeat the server's body, headers or
  reason phrase: a fetch must not become a port scanner or a way to read internal pages.
FETCH_ALLOW_PRIVATE (tests, a closed intranet) lets it reach non-public addresses too.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, urljoin, urlsplit

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from booking.errors import Message, RuleViolation
from booking.formatting import register

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "Infrashare"
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

register({
    "fetch.failed": _l("The address could not be fetched: %(reason)s."),
    "fetch.not_a_url": _l("it is not a web address"),
    "fetch.scheme": _l("only http:// and https:// addresses can be fetched"),
    "fetch.credentials": _l("an address with a user name or password is not accepted"),
    "fetch.unknown_host": _l("the server's name was not found"),
    "fetch.not_public": _l("the address is not on the public internet"),
    "fetch.unreachable": _l("the server could not be reached"),
    "fetch.tls": _l("the server's certificate could not be verified"),
    "fetch.not_http": _l("the server did not answer in HTTP"),
    "fetch.timeout": _l("the server did not answer in time"),
    "fetch.too_many_redirects": _l("it redirected more than %(n)d times"),
    "fetch.status": _l("the server answered %(status)d %(phrase)s"),
    "fetch.too_large": _l("the answer is larger than %(megabytes)s MB"),
})


class FetchError(RuleViolation):
    """A URL that was not fetched. `reason` says why in a fixed phrase (a Message whose code the
    caller may word in its own terms); `http_status` is the server's status when it answered."""

    def __init__(self, reason: Message, *, http_status: int | None = None):
        super().__init__(Message("fetch.failed", reason=reason))
        self.reason = reason
        self.http_status = http_status


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str
    body: bytes


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA), no brackets
    port: int
    path: str  # with the query


def megabytes(limit: int) -> str:
    """A byte cap as people read it: 2097152 → '2', 1500000 → '1.4'."""
    return f"{limit / 1024 / 1024:.1f}".removesuffix(".0")


def allow_private() -> bool:
    return bool(has_app_context() and current_app.config.get("FETCH_ALLOW_PRIVATE"))


def fetch(url: str, *, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT_SECONDS, accept: str = "*/*",
          private: bool | None = None) -> Fetched:
    """GET `url` within the caps, or raise FetchError. `private`: None reads FETCH_ALLOW_PRIVATE."""
    private = allow_private() if private is None else private
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        target = parse_url(url)
        addresses = checked_addresses(target.host, target.port, private=private, deadline=deadline)
        status, location, content_type, body = _get(target, addresses, accept, max_bytes, deadline)
        if status in REDIRECT_STATUSES and location:
            url = urljoin(url, location)
            continue
        if not 200 <= status < 300:
            raise FetchError(Message("fetch.status", status=status, phrase=_phrase(status)), http_status=status)
        return Fetched(url, content_type, body)
    raise FetchError(Message("fetch.too_many_redirects", n=MAX_REDIRECTS))


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = TIMEOUT_SECONDS,
         private: bool | None = None) -> int:
    """POST `body` to `url` under the same rules as `fetch` (webhook deliveries). A redirect is not
    followed (the body would not follow it): like any answer but 2xx, it raises FetchError with
    the status. Returns the 2xx status; the answer's body is not read."""
    private = allow_private() if private is None else private
    deadline = time.monotonic() + timeout
    target = parse_url(url)
    addresses = checked_addresses(target.host, target.port, private=private, deadline=deadline)
    status = _get(target, addresses, "*/*", 0, deadline, method="POST", body=body, headers=headers)[0]
    if not 200 <= status < 300:
        raise FetchError(Message("fetch.status", status=status, phrase=_phrase(status)), http_status=status)
    return status


def parse_url(url: str) -> _Target:
    """The parts of an http(s) URL we will connect to; no network yet."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise FetchError(Message("fetch.not_a_url")) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(Message("fetch.scheme"))
    if not host or any(ord(c) <= 32 or ord(c) == 127 for c in text):
        raise FetchError(Message("fetch.not_a_url"))
    if parts.username is not None or parts.password is not None:
        raise FetchError(Message("fetch.credentials"))
    scheme = parts.scheme.lower()
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe="/:?#[]@!$&'()*+,;=%~")
    return _Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def is_public(address) -> bool:
    """Whether an IP address is on the public internet (an IPv4 address inside IPv6 counts as itself)."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        return is_public(ip.ipv4_mapped)
    if ip.version == 6:
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified or ip in CGNAT)


_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch-dns")


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """Every address the name resolves to (getaddrinfo has no time-out of its own)."""
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    infos = future.result(timeout=max(timeout, 0.001))
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_addresses(host: str, port: int, *, private: bool, deadline: float) -> list[str]:
    """The addresses to connect to: all of them public (unless `private`), or FetchError."""
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal address needs no lookup
    except ValueError:
        try:
            addresses = _resolve(host, port, deadline - time.monotonic())
        except FutureTimeout:
            raise FetchError(Message("fetch.timeout")) from None
        except (OSError, UnicodeError):
            raise FetchError(Message("fetch.unknown_host")) from None
    try:
        public = all(is_public(a) for a in addresses)
    except ValueError:  # not an IP address at all
        public = False
    if not addresses:
        raise FetchError(Message("fetch.unknown_host"))
    if not public and not private:
        raise FetchError(Message("fetch.not_public"))
    return addresses


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """The one place a socket is opened: to an address already checked, never to a name."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock


def _open(addresses: list[str], port: int, timeout: float) -> socket.socket:
    error: OSError | None = None
    for address in addresses:
        try:
            return _connect(address, port, timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address")


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked addresses while the Host header keeps the name. `live` stays the
    socket after http.client hands it to the response, so the watchdog can still end it."""

    def __init__(self, host, port, addresses, timeout):
        super().__init__(host, port, timeout=timeout)
        self.addresses, self.live = addresses, None

    def connect(self):
        self.sock = self.live = _open(self.addresses, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, addresses, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.addresses, self.live = addresses, None

    def connect(self):
        sock = _open(self.addresses, self.port, self.timeout)
        self.sock = self.live = self._context.wrap_socket(sock, server_hostname=self.host)


def _get(target: _Target, addresses: list[str], accept: str, max_bytes: int, deadline: float, *,
         method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, location, content type, body) of one GET; the body only for a 2xx answer. Another
    `method` sends `body` with `headers` and reads no answer body (only the status matters)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(Message("fetch.timeout"))
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target.host, target.port, addresses, remaining)
    expired = threading.Event()

    def end_it():  # a server that drips one byte at a time would outlast every socket time-out
        expired.set()
        if conn.live is not None:
            try:
                conn.live.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(remaining, end_it)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request(method, target.path, body=body, headers={
            "User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity", "Connection": "close",
            **(headers or {})})
        response = conn.getresponse()
        status = response.status
        if not 200 <= status < 300 or method != "GET":
            return status, response.getheader("Location"), "", b""
        length = response.getheader("Content-Length") or ""
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(Message("fetch.too_large", megabytes=megabytes(max_bytes)))
        body = bytearray()
        while chunk := response.read(CHUNK_BYTES):
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(Message("fetch.too_large", megabytes=megabytes(max_bytes)))
        if expired.is_set():  # the watchdog cut the body short
            raise FetchError(Message("fetch.timeout"))
        return status, None, response.getheader("Content-Type") or "", bytes(body)
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise FetchError(Message("fetch.timeout")) from None
        if isinstance(exc, ssl.SSLError):
            raise FetchError(Message("fetch.tls")) from None
        if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.RemoteDisconnected):
            raise FetchError(Message("fetch.not_http")) from None
        raise FetchError(Message("fetch.unreachable")) from None
    finally:
        watchdog.cancel()
        conn.close()
        if conn.live is not None:
            conn.live.close()


def _phrase(status: int) -> str:
    """The standard phrase for a status: the server's own reason text is its words, not ours."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
