"""Sign-in modes at the HTTP level (one Dash app per session; each test swaps in a runtime with its settings)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import ValidationError

import auth
from data_access.config import Settings
from tests.fixtures.auth_files import PASSWORDS, SECRET_KEY, auth_runtime, password_hashes, post_callback

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRUSTED_IP, UNTRUSTED_IP = "10.1.2.3", "192.0.2.10"


@pytest.fixture(autouse=True)
def fresh_limiter():
    auth.limiter._hits.clear()
    yield
    auth.limiter._hits.clear()


@pytest.fixture
def client(pulse_app):
    return pulse_app.server.test_client()


def _corner(client, **kw) -> str:
    r = post_callback(client, "auth-corner", "id", [{"id": "auth-corner", "property": "id", "value": "auth-corner"}],
                      **kw)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


# ---------------------------------------------------------------- none

def test_auth001_local_mode_serves_loopback_only(client, pulse_app):
    assert client.get("/").status_code == 200
    assert client.get("/api/metrics").status_code == 200
    remote = client.get("/", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert (remote.status_code, remote.get_data(as_text=True)) == (
        403, "Local mode (PULSE_AUTH_MODE=none) serves this computer only.")
    # a DNS-rebinding page reaches 127.0.0.1 under its own host name: refused
    assert client.get("/api/metrics", headers={"Host": "evil.example:8050"}).status_code == 403
    assert client.get("/", headers={"Host": "[::1]:8050"}).status_code == 200
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200


def test_auth002_local_mode_badge_and_settings_link(client):
    assert "local mode \\u2014 no sign-in" in _corner(client)
    assert '"href":"\\u002fsettings"' in client.get("/_dash-layout").get_data(as_text=True)


def _refresh_button(app, **request):
    from components import drilldown

    with app.server.test_request_context("/", **request):
        modal = auth.without_admin_actions(drilldown.modal())
    stack = [modal]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif getattr(node, "id", None) == "refresh-now":
            return node
        elif getattr(node, "children", None) is not None and not isinstance(node.children, str):
            stack.append(node.children)
    raise AssertionError("no refresh-now button")


@pytest.mark.parametrize("host, ok", [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.2", True),
                                      ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("pulse.example", False)])
def test_auth003_local_mode_binds_loopback_only(host, ok):
    s = Settings(host=host)
    if ok:
        auth.check_bind(s)
    else:
        with pytest.raises(SystemExit, match=f"Refusing to serve on {host}: PULSE_AUTH_MODE=none"):
            auth.check_bind(s)


def test_auth004_app_py_refuses_to_start_on_all_interfaces_without_sign_in():
    env = {**os.environ, "PULSE_HOST": "0.0.0.0", "PULSE_AUTH_MODE": "none", "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 1
    assert "Refusing to serve on 0.0.0.0: PULSE_AUTH_MODE=none has no sign-in" in proc.stderr


# ---------------------------------------------------------------- proxy

@pytest.fixture
def proxy(tmp_path, swap_runtime, pulse_app):
    swap_runtime(auth_runtime(tmp_path, "proxy", roles={"admin@x.com": {"role": "admin"},
                                                       "viewer@x.com": {"role": "viewer"}}))
    return pulse_app.server.test_client()


def _as(ip: str, email: str | None = None, header: str = "X-Forwarded-Email", **headers):
    h = {header: email} if email else {}
    return {"environ_base": {"REMOTE_ADDR": ip}, "headers": {**h, **headers}}


@pytest.mark.parametrize("path", ["/", "/settings", "/_dash-layout", "/_dash-dependencies", "/api/metrics",
                                  "/api/metrics/win_rate/views/win_rate_by_rep?format=csv", "/api/status"])
def test_auth005_proxy_header_from_untrusted_address_is_401(proxy, path):
    r = proxy.get(path, **_as(UNTRUSTED_IP, "admin@x.com"))
    assert r.status_code == 401
    assert "sign-in proxy" in r.get_data(as_text=True)
    assert proxy.get(path, **_as(TRUSTED_IP, "admin@x.com")).status_code in (200, 503)  # 503: view not refreshed


def test_auth006_proxy_rules(proxy):
    post = proxy.post("/_dash-update-component", json={}, **_as(UNTRUSTED_IP, "admin@x.com"))
    assert post.status_code == 401 and post.get_json() == {
        "error": "Sign-in required: this server only accepts requests through its sign-in proxy."}
    assert proxy.get("/api/metrics", **_as(TRUSTED_IP)).status_code == 401  # no header
    assert proxy.get("/api/metrics", **_as(TRUSTED_IP, "not-an-email")).status_code == 401
    stranger = proxy.get("/api/metrics", **_as(TRUSTED_IP, "stranger@x.com"))
    assert stranger.status_code == 403 and "no role" in stranger.get_json()["error"]
    assert proxy.get("/api/metrics", **_as("fd00::7", "Viewer@X.com")).status_code == 200  # IPv6 proxy, any case
    assert "viewer@x.com" in _corner(proxy, **_as(TRUSTED_IP, "viewer@x.com"))
    # healthz stays open for load balancers
    assert proxy.get("/healthz", **_as(UNTRUSTED_IP)).status_code == 200


def test_auth007_proxy_iap_header_and_wildcard_role(tmp_path, swap_runtime, pulse_app):
    swap_runtime(auth_runtime(tmp_path, "proxy", roles={"*": {"role": "viewer"}},
                              auth_proxy_header="X-Goog-Authenticated-User-Email"))
    c = pulse_app.server.test_client()
    ok = c.get("/api/metrics", **_as(TRUSTED_IP, "accounts.google.com:ceo@x.com", "X-Goog-Authenticated-User-Email"))
    assert ok.status_code == 200
    # the default header name is not believed when another is configured
    assert c.get("/api/metrics", **_as(TRUSTED_IP, "ceo@x.com")).status_code == 401


def test_auth019_refresh_now_is_hidden_from_non_admins(proxy, pulse_app):
    admin = _refresh_button(pulse_app, **_as(TRUSTED_IP, "admin@x.com"))
    viewer = _refresh_button(pulse_app, **_as(TRUSTED_IP, "viewer@x.com"))
    assert getattr(admin, "style", None) in (None, {}) and not getattr(admin, "disabled", False)
    assert viewer.style == {"display": "none"} and viewer.disabled is True


def test_auth008_cross_site_posts_are_refused(proxy):
    admin = _as(TRUSTED_IP, "admin@x.com")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/page"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://localhost.evil.example"}):
        r = proxy.post("/_dash-update-component", json={}, environ_base=admin["environ_base"],
                       headers={**admin["headers"], **headers})
        assert (r.status_code, r.get_json()) == (403, {"error": "Cross-site request refused."}), headers
    # the app's own origin (as the proxy forwards it) passes the check
    same = proxy.post("/_dash-update-component", json={}, environ_base=admin["environ_base"],
                      headers={**admin["headers"], "Origin": "https://pulse.example",
                               "X-Forwarded-Host": "pulse.example"})
    assert same.status_code != 403


def test_auth009_public_url_pins_the_origin(tmp_path, swap_runtime, pulse_app):
    swap_runtime(auth_runtime(tmp_path, "proxy", public_url="https://pulse.example"))
    c = pulse_app.server.test_client()
    base = _as(TRUSTED_IP, "admin@x.com")
    ok = c.post("/logout", environ_base=base["environ_base"], headers={**base["headers"], "Origin": "https://pulse.example"})
    bad = c.post("/logout", environ_base=base["environ_base"], headers={**base["headers"], "Origin": "http://pulse.example"})
    assert ok.status_code == 302 and bad.status_code == 403


# ---------------------------------------------------------------- password

@pytest.fixture
def pw(tmp_path, swap_runtime, pulse_app):
    rt = auth_runtime(tmp_path, "password")
    swap_runtime(rt)
    return pulse_app.server.test_client(), rt


def _login(c, email, password, next_url="/"):
    return c.post("/login", data={"email": email, "password": password, "next": next_url})


def test_auth010_password_mode_requires_sign_in(pw):
    c, _ = pw
    r = c.get("/sales?rep=11")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=" + quote("/sales?rep=11", safe="")
    for path in ("/api/metrics", "/_dash-layout", "/_dash-dependencies"):
        r = c.get(path)
        assert (r.status_code, r.get_json()) == (401, {"error": "Sign-in required."}), path
    page = c.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert c.get("/assets/pulse.css").status_code == 200  # the login page's styles


def test_auth011_login_sets_a_hardened_session_cookie(pw):
    c, _ = pw
    wrong = _login(c, "admin@x.com", "nope")
    assert wrong.status_code == 401 and "Wrong email or password." in wrong.get_data(as_text=True)
    r = _login(c, "Admin@X.com", PASSWORDS["admin@x.com"], "/status")
    assert r.status_code == 302 and r.headers["Location"] == "/status"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("pulse_session=")
    for flag in ("HttpOnly", "Secure", "SameSite=Lax"):
        assert flag in cookie
    assert c.get("/api/metrics").status_code == 200
    assert "admin@x.com" in _corner(c) and "Sign out" in _corner(c)
    # logout ends the session
    assert c.post("/logout").headers["Location"] == "/login"
    assert c.get("/api/metrics").status_code == 401


@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_auth012_login_never_redirects_off_site(pw, next_url):
    c, _ = pw
    r = _login(c, "viewer@x.com", PASSWORDS["viewer@x.com"], next_url)
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_auth013_failed_sign_ins_are_rate_limited(pw):
    c, _ = pw
    statuses = [_login(c, "viewer@x.com", f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [401] * 5
    blocked = _login(c, "viewer@x.com", PASSWORDS["viewer@x.com"])  # even the right password, now
    assert blocked.status_code == 429 and "Too many failed sign-ins. Try again in 15 minutes." in blocked.get_data(as_text=True)
    assert c.get("/api/metrics").status_code == 401
    # another user from the same address is not locked out by this user's failures…
    assert _login(c, "admin@x.com", PASSWORDS["admin@x.com"]).status_code == 302
    # …but one address trying many emails is
    c2 = c.application.test_client()
    for i in range(15):
        _login(c2, f"guess{i}@x.com", "x")
    assert _login(c2, "mgr@x.com", PASSWORDS["mgr@x.com"]).status_code == 429


def test_auth014_changed_password_or_removed_role_ends_sessions(pw, tmp_path):
    c, rt = pw
    assert _login(c, "viewer@x.com", PASSWORDS["viewer@x.com"]).status_code == 302
    assert c.get("/api/metrics").status_code == 200
    roles = rt.settings.auth_roles_path
    roles.write_text(json.dumps({"admin@x.com": {"role": "admin"}}))
    os.utime(roles, ns=(roles.stat().st_mtime_ns + 10**9,) * 2)
    assert c.get("/api/metrics").status_code == 401  # the session no longer stands
    again = _login(c, "viewer@x.com", PASSWORDS["viewer@x.com"])
    assert again.status_code == 403 and "has no role in Pulse" in again.get_data(as_text=True)
    roles.write_text(json.dumps({"viewer@x.com": {"role": "viewer"}}))
    os.utime(roles, ns=(roles.stat().st_mtime_ns + 2 * 10**9,) * 2)
    assert _login(c, "viewer@x.com", PASSWORDS["viewer@x.com"]).status_code == 302
    assert c.get("/api/metrics").status_code == 200
    users = rt.settings.auth_users_path
    hashes = password_hashes()
    users.write_text(json.dumps({"viewer@x.com": {"password_hash": auth.hash_password("A-New-Password-99")},
                                 "admin@x.com": {"password_hash": hashes["admin@x.com"]}}))
    os.utime(users, ns=(users.stat().st_mtime_ns + 10**9,) * 2)
    assert c.get("/api/metrics").status_code == 401


def test_auth015_forged_or_foreign_cookies_are_ignored(pw):
    c, _ = pw
    from itsdangerous import URLSafeTimedSerializer
    from flask.json.tag import TaggedJSONSerializer

    forged = URLSafeTimedSerializer("some-other-key-some-other-key-123456", salt="cookie-session",
                                    serializer=TaggedJSONSerializer(),
                                    signer_kwargs={"key_derivation": "hmac", "digest_method": __import__("hashlib").sha1})
    c.set_cookie("pulse_session", forged.dumps({"_user_id": "admin@x.com|whatever", "_fresh": True}))
    assert c.get("/api/metrics").status_code == 401


def test_auth016_cross_site_login_post_is_refused(pw):
    c, _ = pw
    r = c.post("/login", data={"email": "admin@x.com", "password": PASSWORDS["admin@x.com"]},
               headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert c.get("/api/metrics").status_code == 401


def test_auth017_modes_need_their_settings():
    with pytest.raises(ValidationError, match="PULSE_AUTH_MODE=password needs PULSE_AUTH_USERS_PATH, "
                                              "PULSE_AUTH_ROLES_PATH, PULSE_SECRET_KEY"):
        Settings(auth_mode="password")
    with pytest.raises(ValidationError, match="PULSE_AUTH_MODE=proxy needs PULSE_AUTH_TRUSTED_PROXIES"):
        Settings(auth_mode="proxy", auth_roles_path="roles.json")
    with pytest.raises(ValidationError, match="at least 32 characters") as e:
        Settings(secret_key="Short-Secret-Canary")
    assert "Short-Secret-Canary" not in str(e.value)  # errors never echo inputs
    with pytest.raises(ValidationError, match="does not appear to be an IPv4 or IPv6 network"):
        Settings(auth_trusted_proxies="10.0.0.0/8, not-an-ip")
    s = Settings(auth_mode="password", auth_users_path="u.json", auth_roles_path="r.json", secret_key=SECRET_KEY)
    assert SECRET_KEY not in repr(s) and SECRET_KEY not in str(s.model_dump())


def test_auth018_invalid_roles_file_fails_closed(tmp_path, swap_runtime, pulse_app):
    rt = auth_runtime(tmp_path, "proxy")
    rt.settings.auth_roles_path.write_text('{"admin@x.com": {"role": "superuser"}}')
    swap_runtime(rt)
    r = pulse_app.server.test_client().get("/api/metrics", **_as(TRUSTED_IP, "admin@x.com"))
    assert r.status_code == 503 and "not configured correctly" in r.get_json()["error"]
    assert "superuser" not in r.get_data(as_text=True)


def test_auth020_limiter_memory_is_bounded_and_mapped_addresses_are_understood(monkeypatch):
    lim = auth.LoginLimiter()
    monkeypatch.setattr(auth.LoginLimiter, "MAX_KEYS", 100)
    monkeypatch.setattr(lim, "_redis", lambda: None)
    for i in range(1000):
        lim.fail(f"email:spray{i}@x.com", 900)
    assert len(lim._hits) <= 100
    assert lim.count("email:never-seen@x.com", 900) == 0 and "email:never-seen@x.com" not in lim._hits
    s = Settings(auth_trusted_proxies="10.0.0.0/8")
    assert auth.trusted_proxy("::ffff:10.1.2.3", s) and not auth.trusted_proxy("::ffff:192.0.2.1", s)
    assert auth.is_loopback_host("::ffff:127.0.0.1")


def test_auth021_example_users_file_signs_nobody_in(tmp_path):
    """The shipped users example has placeholder hashes: a copy used as is admits no one."""
    import shutil

    users = tmp_path / "users.json"
    shutil.copy(PROJECT_ROOT / "targets" / "users.example.json", users)
    roles = tmp_path / "roles.json"
    shutil.copy(PROJECT_ROOT / "targets" / "roles.example.json", roles)
    s = Settings(auth_mode="password", auth_users_path=users, auth_roles_path=roles, secret_key=SECRET_KEY)
    for password in ("", "change-me", "REPLACE-with-the-output-of-python-auth.py-hash"):
        assert auth.verify_password("ops@example.com", password, s) == (False, None)


def test_auth022_a_not_connected_card_gives_the_setup_to_admins_only(proxy, pulse_app):
    from pages import _kpi

    def card_text(email):
        with pulse_app.server.test_request_context("/", **_as(TRUSTED_IP, email)):
            return str(_kpi.kpi_grid("company_health"))

    assert "PULSE_SIMPLEFIN_ACCESS_URL" in card_text("admin@x.com")
    viewer = card_text("viewer@x.com")
    assert "PULSE_SIMPLEFIN_ACCESS_URL" not in viewer and _kpi.NOT_CONNECTED_FOR_VIEWERS in viewer
    assert "Not connected" in viewer
