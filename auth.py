"""Sign-in and roles: who is asking, and what they may see and change.

``PULSE_AUTH_MODE`` (read from the current runtime's settings on every request):

- ``none`` (default, ``make run``): one local admin, no sign-in. Only loopback clients
  addressing a loopback host name are served (so neither another machine nor a DNS-
  rebinding page reaches it); ``python app.py`` refuses to bind anything but loopback.
- ``proxy``: behind Google IAP, oauth2-proxy…: the email comes from
  ``PULSE_AUTH_PROXY_HEADER``, believed only when the TCP peer is in
  ``PULSE_AUTH_TRUSTED_PROXIES``; anything else gets 401.
- ``password``: a users file (email → argon2 hash), ``/login``, Flask-Login sessions in
  signed cookies (HttpOnly, Secure, SameSite=Lax) under ``PULSE_SECRET_KEY``, ``/logout``,
  and failed attempts limited per email and per client address.

Roles come from the roles file (email → ``viewer`` | ``manager`` | ``admin``; a manager
lists the owner ids of their team; ``"*"`` gives every signed-in user a role). Roles are
ordered: an admin may do what a manager may, a manager what a viewer may.

The guard (``init_app``) runs before every request: static files, ``/healthz`` and the
login page aside, a request without a user is refused (401; a page in password mode is
redirected to the login page) and a user without a role gets 403. State-changing requests
(every Dash callback is a POST) must come from the app's own origin (``Origin``, else
``Referer``; ``Sec-Fetch-Site: cross-site`` is refused). Writes check the role again where
they happen (``has_role``), whatever the browser sent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import logging
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal
from urllib.parse import urlencode, urlsplit

import flask_login
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Blueprint, Response, g, has_request_context, jsonify, redirect, render_template_string, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from components import ids

log = logging.getLogger(__name__)

Role = Literal["viewer", "manager", "admin"]
RANK = {"viewer": 1, "manager": 2, "admin": 3}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico", "/healthz")
AUTH_PATHS = ("/login", "/logout")
ADMIN_ACTION_IDS = {ids.REFRESH_NOW}  # buttons only admins see (and the server refuses for others)
IAP_PREFIX = "accounts.google.com:"
EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,190}")
SESSION_HOURS = 12
MAX_PASSWORD = 1024


# ---------------------------------------------------------------- users and roles files

class RoleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Role
    team: list[int] = []  # a manager's reps (HubSpot owner ids)


class RolesFile(RootModel[dict[str, RoleEntry]]):
    """``{"ana@example.com": {"role": "manager", "team": [11, 12]}, "*": {"role": "viewer"}}``"""


class UserEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    password_hash: str = Field(pattern=r"^\$argon2(id|i|d)\$")


class UsersFile(RootModel[dict[str, UserEntry]]):
    """``{"ana@example.com": {"password_hash": "$argon2id$v=19$…"}}`` (``python auth.py hash``)."""


class AuthConfigError(RuntimeError):
    """A users or roles file is missing or invalid and no valid copy was ever read."""


class _FileCache:
    """A JSON file parsed by a pydantic model, re-read when its mtime or size changes;
    a bad edit keeps the last valid content (and is logged, never shown to users)."""

    def __init__(self, model):
        self.model = model
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[tuple, dict]] = {}

    def get(self, path: Path) -> dict:
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        with self._lock:
            known = self._entries.get(path)
            if known and known[0] == stamp:
                return known[1]
            try:
                parsed = self.model.model_validate_json(path.read_bytes()).root
                value = {k.strip().lower(): v for k, v in parsed.items()}
            except (OSError, ValueError, ValidationError) as e:
                log.error("%s is invalid or unreadable (%s); keeping the last valid copy", path.name, type(e).__name__)
                if known is None:
                    raise AuthConfigError(f"{path.name} is missing or invalid") from None
                value = known[1]
            self._entries[path] = (stamp, value)
            return value


_roles = _FileCache(RolesFile)
_users = _FileCache(UsersFile)
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("pulse-dummy-password")  # verify against it for unknown emails (same timing)


@dataclass(frozen=True)
class User(flask_login.UserMixin):
    """A signed-in person. ``team``: owner ids a manager's drill-downs start filtered to."""

    email: str
    role: Role
    team: tuple[int, ...] = ()
    session_tag: str = ""  # changes when the password hash changes: old sessions end

    def get_id(self) -> str:
        return f"{self.email}|{self.session_tag}"

    def can(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]


LOCAL_ADMIN = User("local admin", "admin")
# Dash builds its callback validation layout once, from every page's layout, during the first
# request, and sends it to every browser. Built as that request's user, a viewer arriving first would
# leave Settings' ids out of it for everyone (the renderer then reports "ID not found in layout"). So
# that one pass builds layouts as an admin: layouts read no data, only their skeletons go out.
LAYOUT_PASS_USER = User("layout validation", "admin")


def _settings():
    from data_access.runtime import get_runtime

    return get_runtime().settings


def role_of(email: str, settings) -> RoleEntry | None:
    """The email's role from the roles file (``"*"`` as the fallback); ``None`` when it has none."""
    roles = _roles.get(settings.auth_roles_path)
    return roles.get(email.lower()) or roles.get("*")


def _user(email: str, settings, session_tag: str = "") -> User | None:
    entry = role_of(email, settings)
    return User(email.lower(), entry.role, tuple(entry.team), session_tag) if entry else None


def _tag(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def hash_password(password: str) -> str:
    """An argon2id hash for the users file."""
    return _hasher.hash(password)


def verify_password(email: str, password: str, settings) -> tuple[bool, User | None]:
    """``(password ok, user)``: the user is ``None`` when the email has no role in the roles file.
    Unknown emails cost the same hashing time as known ones."""
    entry = _users.get(settings.auth_users_path).get(email.strip().lower())
    try:
        _hasher.verify(entry.password_hash if entry else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if entry is None:
        return False, None
    return True, _user(email.strip(), settings, _tag(entry.password_hash))


# ---------------------------------------------------------------- who is asking

def _ip(addr: str | None):
    """The address, IPv4-mapped IPv6 (``::ffff:10.0.0.1``) as IPv4; ``None`` if not an address."""
    try:
        ip = ipaddress.ip_address((addr or "").split("%")[0])
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``127.x.x.x`` or ``::1`` (what ``none`` mode may bind to and be addressed as)."""
    name = host.strip().lower()
    if name in LOOPBACK_HOSTS:
        return True
    ip = _ip(name.strip("[]"))
    return bool(ip and ip.is_loopback)


def _request_host_name() -> str:
    host = request.host.lower()
    if host.startswith("["):
        return host[: host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def trusted_proxy(addr: str | None, settings) -> bool:
    ip = _ip(addr)
    return bool(ip) and any(ip in ipaddress.ip_network(n, strict=False) for n in settings.auth_trusted_proxies)


def _proxy_email(raw: str) -> str | None:
    email = raw.strip()
    if email.startswith(IAP_PREFIX):
        email = email[len(IAP_PREFIX):]
    return email.lower() if EMAIL_RE.fullmatch(email) else None


def _resolve(settings) -> tuple[User | None, tuple[int, str] | None]:
    """``(user, None)`` or ``(None, (status, reason))`` for the current request."""
    mode = settings.auth_mode
    if mode == "none":
        if not (_ip(request.remote_addr) and _ip(request.remote_addr).is_loopback
                and is_loopback_host(_request_host_name())):
            return None, (403, "Local mode (PULSE_AUTH_MODE=none) serves this computer only.")
        return LOCAL_ADMIN, None
    try:
        if mode == "proxy":
            if not trusted_proxy(request.remote_addr, settings):
                return None, (401, "Sign-in required: this server only accepts requests through its sign-in proxy.")
            email = _proxy_email(request.headers.get(settings.auth_proxy_header, ""))
            if email is None:
                return None, (401, "Sign-in required: the sign-in proxy sent no user.")
            user = _user(email, settings)
        else:
            user = flask_login.current_user._get_current_object()
            if not isinstance(user, User) or not user.is_authenticated:
                return None, (401, "Sign-in required.")
    except AuthConfigError:
        return None, (503, "Sign-in is not configured correctly; the server log says which file.")
    if user is None:
        return None, (403, "Your account has no role in Pulse; ask an admin to add you to the roles file.")
    return user, None


def current_user() -> User | None:
    """The signed-in user of this request (``None`` outside a request or when signed out)."""
    if not has_request_context():
        return None
    if g.get("pulse_layout_pass"):
        return LAYOUT_PASS_USER
    if "pulse_user" not in g:
        g.pulse_user, g.pulse_denial = _resolve(_settings())
    return g.pulse_user


def has_role(role: Role) -> bool:
    """True when this request's user holds ``role`` (or a higher one). Call it where a write happens."""
    user = current_user()
    return user is not None and user.can(role)


def team_reps() -> list[int]:
    """The owner ids a manager's drill-downs start filtered to (``[]`` for everyone else)."""
    user = current_user()
    return list(user.team) if user is not None and user.role == "manager" else []


def visible_pages(pages: Iterable[dict]) -> list[dict]:
    """Pages the current user may open (a page registered with ``required_role`` needs it)."""
    return [p for p in pages if not p.get("required_role") or has_role(p["required_role"])]


def without_admin_actions(tree):
    """``tree`` with admin-only controls (``ADMIN_ACTION_IDS``) hidden and disabled for non-admins.

    The ids stay in the layout (callbacks keep their inputs); the server refuses the actions anyway.
    """
    if has_role("admin"):
        return tree
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        node_id = getattr(node, "id", None)
        if isinstance(node_id, str) and node_id in ADMIN_ACTION_IDS:
            node.style = {"display": "none"}
            node.disabled = True
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return tree


def check_bind(settings) -> None:
    """Refuse to serve ``none`` mode (no sign-in) on anything but a loopback address."""
    if settings.auth_mode == "none" and not is_loopback_host(settings.host):
        raise SystemExit(
            f"Refusing to serve on {settings.host}: PULSE_AUTH_MODE=none has no sign-in and binds to "
            "loopback only (127.0.0.1, ::1, localhost). Set PULSE_AUTH_MODE=proxy or password to serve others.")


# ---------------------------------------------------------------- origin check

def _origin_key(url: str) -> tuple[str, str] | None:
    """``(scheme, host[:port])`` with default ports dropped; ``None`` if not an http(s) origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    return parts.scheme, host


def same_origin(settings) -> bool:
    """True unless a state-changing request demonstrably comes from another site."""
    if request.method in SAFE_METHODS:
        return True
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # not sent by a browser: no ambient cookies to abuse
    theirs = _origin_key(origin)
    if theirs is None:
        return False  # "null" (sandboxed frames, file://) or garbage
    if settings.public_url:
        return theirs == _origin_key(settings.public_url)
    host = request.host
    if settings.auth_mode == "proxy" and trusted_proxy(request.remote_addr, settings):
        host = request.headers.get("X-Forwarded-Host", host).split(",")[0].strip()
    ours = _origin_key(f"{theirs[0]}://{host}")  # behind TLS termination the scheme differs; the host decides
    return ours is not None and theirs[1] == ours[1]


# ---------------------------------------------------------------- login attempts

class LoginLimiter:
    """Failed sign-ins per key (``email:…``, ``ip:…``) in a sliding window; Redis-shared when
    the runtime has Redis (all web processes count together), in-process otherwise."""

    def __init__(self):
        self._lock = threading.Lock()
        self._hits: dict[str, deque] = defaultdict(deque)

    def _redis(self):
        from data_access.runtime import get_runtime

        return get_runtime().redis

    def count(self, key: str, window_s: int) -> int:
        r = self._redis()
        if r is not None:
            try:
                return int(r.get(f"pulse:login:{key}") or 0)
            except Exception:
                pass
        with self._lock:
            hits = self._hits.get(key)
            while hits and hits[0] < time.monotonic() - window_s:
                hits.popleft()
            return len(hits) if hits else 0

    MAX_KEYS = 50_000  # in-process: a spray of made-up emails cannot grow memory without bound

    def _prune(self, window_s: int) -> None:
        cutoff = time.monotonic() - window_s
        for k in [k for k, hits in self._hits.items() if not hits or hits[-1] < cutoff]:
            del self._hits[k]
        while len(self._hits) >= self.MAX_KEYS:  # still full: forget the oldest keys
            del self._hits[next(iter(self._hits))]

    def fail(self, key: str, window_s: int) -> None:
        r = self._redis()
        if r is not None:
            try:
                pipe = r.pipeline()
                pipe.incr(f"pulse:login:{key}")
                pipe.expire(f"pulse:login:{key}", window_s, nx=True)
                pipe.execute()
                return
            except Exception:
                pass
        with self._lock:
            if key not in self._hits and len(self._hits) >= self.MAX_KEYS:
                self._prune(window_s)
            self._hits[key].append(time.monotonic())

    def clear(self, key: str) -> None:
        r = self._redis()
        if r is not None:
            try:
                r.delete(f"pulse:login:{key}")
            except Exception:
                pass
        with self._lock:
            self._hits.pop(key, None)


limiter = LoginLimiter()


# ---------------------------------------------------------------- sessions

class PulseSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions keyed by the current runtime's ``PULSE_SECRET_KEY`` (none: no session),
    always HttpOnly and SameSite=Lax, Secure unless ``PULSE_SESSION_COOKIE_SECURE=false``."""

    def get_signing_serializer(self, app):
        key = _settings().secret_key
        if key is None:
            return None
        return URLSafeTimedSerializer(key.get_secret_value(), salt=self.salt, serializer=self.serializer,
                                      signer_kwargs={"key_derivation": self.key_derivation,
                                                     "digest_method": self.digest_method})

    def get_cookie_name(self, app) -> str:
        return "pulse_session"

    def get_cookie_httponly(self, app) -> bool:
        return True

    def get_cookie_secure(self, app) -> bool:
        return bool(_settings().session_cookie_secure)

    def get_cookie_samesite(self, app) -> str:
        return "Lax"


def _load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the session's user, if their password and role still stand."""
    settings = _settings()
    if settings.auth_mode != "password" or "|" not in user_id:
        return None
    email, tag = user_id.rsplit("|", 1)
    try:
        entry = _users.get(settings.auth_users_path).get(email)
        if entry is None or _tag(entry.password_hash) != tag:
            return None
        return _user(email, settings, tag)
    except AuthConfigError:
        return None


# ---------------------------------------------------------------- login page

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulse · Sign in</title>
<link rel="stylesheet" href="/assets/0-bootstrap-5.3.9.min.css"><link rel="stylesheet" href="/assets/pulse.css">
</head><body class="login-body">
<main class="login-card card shadow-sm">
  <div class="card-body p-4">
    <h1 class="h4 mb-1"><span class="brand-dot">●</span> Pulse</h1>
    <p class="text-muted mb-4">Sign in to see how the business is doing.</p>
    {% if message %}<div class="alert alert-{{ level }} py-2" role="alert" id="login-message">{{ message }}</div>{% endif %}
    <form method="post" action="/login" autocomplete="on">
      <input type="hidden" name="next" value="{{ next_url }}">
      <div class="mb-3"><label class="form-label" for="email">Email</label>
        <input class="form-control" id="email" name="email" type="email" value="{{ email }}" required autofocus></div>
      <div class="mb-4"><label class="form-label" for="password">Password</label>
        <input class="form-control" id="password" name="password" type="password" required></div>
      <button class="btn btn-primary w-100" id="login-submit" type="submit">Sign in</button>
    </form>
  </div>
</main></body></html>"""

bp = Blueprint("auth", __name__)


def _safe_next(url: str | None) -> str:
    """Only a path on this site (never ``//evil.example`` or ``https://…``)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or any(ord(c) < 32 for c in url):
        return "/"
    return url


def _login_page(message: str = "", status: int = 200, email: str = "", level: str = "danger"):
    body = render_template_string(LOGIN_PAGE, message=message, level=level, email=email,
                                  next_url=_safe_next(request.values.get("next")))
    return Response(body, status=status, mimetype="text/html")


@bp.get("/login")
def login_form():
    if _settings().auth_mode != "password":
        return redirect("/")
    return _login_page()


@bp.post("/login")
def login_submit():
    settings = _settings()
    if settings.auth_mode != "password":
        return redirect("/")
    email = (request.form.get("email") or "").strip().lower()[:254]
    password = request.form.get("password") or ""
    if len(password) > MAX_PASSWORD:  # never spend argon2 time on megabytes
        password = ""
    keys = [f"email:{email}", f"ip:{request.remote_addr}"]
    limits = [settings.login_max_failures, settings.login_max_failures_per_ip]
    window = settings.login_window_s
    if any(limiter.count(k, window) >= n for k, n in zip(keys, limits)):
        minutes = max(1, round(window / 60))
        return _login_page(f"Too many failed sign-ins. Try again in {minutes} minutes.", 429, email)
    try:
        ok, user = verify_password(email, password, settings) if email and password else (False, None)
    except AuthConfigError:
        return _login_page("Sign-in is not configured correctly; the server log says which file.", 503, email)
    if not ok:
        for k in keys:
            limiter.fail(k, window)
        return _login_page("Wrong email or password.", 401, email)
    if user is None:
        return _login_page("Your account has no role in Pulse; ask an admin to add you to the roles file.", 403, email)
    limiter.clear(keys[0])
    session.clear()  # no session fixation: a fresh session for the signed-in user
    session.permanent = True
    flask_login.login_user(user)
    log.info("signed in: %s (%s)", user.email, user.role)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    if _settings().auth_mode != "password":  # nothing to end: the proxy or the computer decides who you are
        return redirect("/")
    flask_login.logout_user()
    session.clear()
    return redirect("/login")


# ---------------------------------------------------------------- the guard

def _deny(status: int, reason: str):
    path = request.path
    if status == 401 and _settings().auth_mode == "password" and request.method == "GET" \
            and not path.startswith(("/api/", "/_dash-", "/_reload-hash")):
        return redirect("/login?" + urlencode({"next": _safe_next(request.full_path.rstrip("?"))}))
    if path.startswith(("/api/", "/_dash-")):
        return jsonify({"error": reason}), status
    return Response(reason, status=status, mimetype="text/plain")


def guard():
    """Before every request: same-origin writes, then a user with a role (static files aside)."""
    settings = _settings()
    if not same_origin(settings):
        return _deny(403, "Cross-site request refused.")
    path = request.path
    if path.startswith(PUBLIC_PREFIXES) or path in AUTH_PATHS:
        return None
    if current_user() is None:
        status, reason = g.pulse_denial
        return _deny(status, reason)
    return None


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _layout_pass_start():
    g.pulse_layout_pass = True  # until _layout_pass_end: only Dash's own first-request hooks run between


def _layout_pass_end():
    g.pop("pulse_layout_pass", None)


def init_app(server) -> None:
    """Wire sign-in into the Flask server: sessions, Flask-Login, /login, /logout, the guard.

    Dash's first-request hooks (registered when the Dash app was built) run between
    ``_layout_pass_start`` (put first) and ``_layout_pass_end`` (before the guard): see ``LAYOUT_PASS_USER``.
    """
    server.before_request_funcs.setdefault(None, []).insert(0, _layout_pass_start)
    server.before_request(_layout_pass_end)
    server.session_interface = PulseSessionInterface()
    server.config.update(PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS))
    manager = flask_login.LoginManager()
    manager.init_app(server)
    manager.user_loader(_load_user)
    server.register_blueprint(bp)
    server.before_request(guard)
    server.after_request(security_headers)


# ---------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    """``python auth.py hash [email]``: prompt for a password, print a users-file entry."""
    import argparse
    import getpass

    parser = argparse.ArgumentParser(description="Pulse users file helper")
    sub = parser.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hash", help="print an argon2 hash for the users file")
    h.add_argument("email", nargs="?", default="user@example.com")
    args = parser.parse_args(argv)
    password = getpass.getpass("Password: ")
    if len(password) < 12 or password != getpass.getpass("Again: "):
        print("Passwords must match and have at least 12 characters.")
        return 1
    print(json.dumps({args.email.lower(): {"password_hash": hash_password(password)}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
