"""SimpleFinClient against a local SimpleFIN Bridge fake (pytest-httpserver).

The fake follows ``../shared/api_contracts.md`` §1: ``GET /simplefin/accounts``, HTTP
Basic credentials (403 when they are wrong), v1/v2 Account Sets, 402/403/429/5xx.
The client is never patched; waits are made fast with ``backoff_max_s`` or recorded
with the injectable ``sleep``.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import socket
import threading
from decimal import Decimal
from urllib.parse import quote

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data_access.frame_store import CachedFrame, FrameMeta, frame_from_bytes, frame_to_bytes
from integrations.simplefin import (
    CashSnapshot,
    SimpleFinAuthError,
    SimpleFinBadResponse,
    SimpleFinClient,
    SimpleFinConfigError,
    SimpleFinError,
    SimpleFinHTTPError,
    SimpleFinPaymentRequired,
    SimpleFinRateLimited,
    SimpleFinUnavailable,
    cash_position,
    empty_accounts_frame,
)

USER = "pulse-demo-user"
PASSWORD = "Zq7!pw@9/sfin%Leak-Canary-4f1e"  # distinctive; needs percent-encoding in a URL
PASSWORD_ENCODED = quote(PASSWORD, safe="")
BASIC_TOKEN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
LEAK_MARKERS = (PASSWORD, PASSWORD_ENCODED, BASIC_TOKEN, "Leak-Canary")
PATH = "/simplefin/accounts"

V1_BODY = {
    "errors": [],
    "accounts": [
        {"org": {"domain": "mybank.com", "sfin-url": "https://sfin.mybank.com", "name": "My Bank"},
         "id": "2930002", "name": "Savings", "currency": "USD",
         "balance": "100.23", "available-balance": "75.23", "balance-date": 978366153, "transactions": []},
        {"org": {"domain": "mybank.com", "sfin-url": "https://sfin.mybank.com", "name": "My Bank"},
         "id": "2930003", "name": "Operating", "currency": "USD",
         "balance": "24302.22", "balance-date": 1735689600},
    ],
}
V2_BODY = {
    "errlist": [
        {"code": "con.auth", "msg": "Authentication failed for My Bank", "conn_id": "CON-1"},
        {"code": "act.failed", "message": "Failed to get account information. Try again later.",
         "account_id": "ACT-9"},
    ],
    "errors": ["Authentication failed for My Bank"],  # deprecated duplicate of the errlist entry
    "connections": [{"conn_id": "CON-1", "name": "My Bank - Ops", "org_id": "INST-9",
                     "org_url": "https://mybank.com", "sfin_url": "https://sfin.mybank.com"}],
    "accounts": [{"id": "ACT-1", "name": "Checking", "conn_id": "CON-1", "currency": "USD",
                  "balance": "24302.22", "available-balance": "24302.22", "balance-date": 1735689600}],
}


def _account(id_, balance, currency="USD", date=1735689600, **extra):
    return {"org": {"name": "My Bank", "domain": "mybank.com"}, "id": id_, "name": f"Account {id_}",
            "currency": currency, "balance": balance, "balance-date": date, **extra}


def _access_url(server: HTTPServer, user: str = USER, password: str = PASSWORD) -> str:
    base = server.url_for("/simplefin")
    return base.replace("://", f"://{quote(user, safe='')}:{quote(password, safe='')}@", 1)


class Recorder:
    """Injectable ``sleep`` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def bridge(body=None, status: int = 200, headers: dict | None = None, raw: bytes | None = None,
           delay: threading.Event | None = None, delay_s: float = 0.0, hits: list | None = None):
    """A handler that behaves like the bridge: 403 unless the Basic credentials are right.

    ``delay``/``delay_s``: wait that long (or until the event is set) before answering.
    ``hits``: appended to when a request arrives (before any delay)."""

    def handle(request: Request) -> Response:
        if hits is not None:
            hits.append(request.path)
        auth = request.authorization
        if auth is None or auth.type != "basic" or (auth.username, auth.password) != (USER, PASSWORD):
            return Response("Forbidden", status=403)
        if delay is not None:
            delay.wait(delay_s)
        if status != 200:
            return Response(raw or b"", status=status, headers=headers)
        data = raw if raw is not None else json.dumps(body).encode()
        return Response(data, status=200, headers=headers, content_type="application/json")

    return handle


@pytest.fixture
def server(httpserver: HTTPServer) -> HTTPServer:
    # A request no handler expects answers 404 (not retried) instead of the default 500.
    httpserver.no_handler_status_code = 404
    yield httpserver
    httpserver.check_handler_errors()


def _client(server: HTTPServer, **kw) -> SimpleFinClient:
    kw.setdefault("backoff_max_s", 0.01)
    kw.setdefault("timeout_s", 5.0)
    return SimpleFinClient(_access_url(server), **kw)


def _requests(server: HTTPServer) -> list[Request]:
    return [req for req, _ in server.log]


def _assert_no_secret(text: str) -> None:
    for marker in LEAK_MARKERS:
        assert marker not in text


# --------------------------------------------------------------------------- success


def test_sfin001_v1_success_sums_decimals_exactly(server):
    server.expect_request(PATH, method="GET").respond_with_handler(bridge(V1_BODY))
    snap = _client(server).fetch_balances()

    frame = snap.accounts
    assert list(frame.columns) == ["account_id", "account_name", "institution", "currency",
                                   "balance_usd", "available_balance_usd", "balance_date"]
    by_id = frame.set_index("account_id")
    assert by_id.loc["2930002", "balance_usd"] == Decimal("100.23")
    assert by_id.loc["2930003", "balance_usd"] == Decimal("24302.22")
    assert all(type(v) is Decimal for v in frame["balance_usd"])
    assert frame["balance_usd"].dtype == object
    assert sum(frame["balance_usd"], Decimal(0)) == Decimal("24402.45")
    assert by_id.loc["2930002", "available_balance_usd"] == Decimal("75.23")
    # available-balance omitted → same as balance (protocol)
    assert by_id.loc["2930003", "available_balance_usd"] == Decimal("24302.22")
    assert set(frame["institution"]) == {"My Bank"}
    assert set(frame["currency"]) == {"USD"}
    assert by_id.loc["2930002", "balance_date"] == pd.Timestamp(978366153, unit="s", tz="UTC")
    assert str(frame["balance_date"].dtype) == "datetime64[us, UTC]"
    assert snap.errors == [] and snap.notices == []
    assert snap.fetched_at.tzinfo is not None and snap.fetched_at.utcoffset() == dt.timedelta(0)

    metric = cash_position(snap)
    assert metric["value"] == 24402.45
    assert metric["account_count"] == 2
    assert metric["partial_errors"] == 0
    expected_age = (pd.Timestamp(snap.fetched_at) - pd.Timestamp(978366153, unit="s", tz="UTC")).total_seconds() / 3600
    assert metric["oldest_balance_age_hours"] == pytest.approx(expected_age)


def test_sfin002_sum_is_decimal_not_float(server):
    # Ten accounts of 0.10: float addition gives 0.9999999999999999, Decimal gives exactly 1.
    body = {"errors": [], "accounts": [_account(f"A{i}", "0.10") for i in range(10)]}
    server.expect_request(PATH).respond_with_handler(bridge(body))
    snap = _client(server).fetch_balances()
    assert sum(0.10 for _ in range(10)) != 1.0  # the trap this test guards against
    assert cash_position(snap)["value"] == 1.0
    assert cash_position(snap)["account_count"] == 10


def test_sfin003_v2_shape_errlist_surfaced_and_data_kept(server):
    server.expect_request(PATH).respond_with_handler(bridge(V2_BODY))
    snap = _client(server).fetch_balances()

    assert snap.accounts["account_id"].tolist() == ["ACT-1"]
    assert snap.accounts["institution"].tolist() == ["My Bank - Ops"]
    assert snap.accounts["balance_usd"].tolist() == [Decimal("24302.22")]
    # msg and message both parsed; connection named; deprecated duplicate not repeated
    assert snap.errors == [
        "con.auth: Authentication failed for My Bank [My Bank - Ops]",
        "act.failed: Failed to get account information. Try again later.",
    ]
    metric = cash_position(snap)
    assert metric == {"value": 24302.22, "account_count": 1,
                      "oldest_balance_age_hours": metric["oldest_balance_age_hours"], "partial_errors": 2}


def test_sfin004_balances_only_query_param_sent(server):
    server.expect_request(PATH, method="GET", query_string={"balances-only": "1"}).respond_with_handler(
        bridge(V1_BODY))
    _client(server).fetch_balances()
    (request,) = _requests(server)
    assert request.path == PATH
    assert request.args.to_dict(flat=False) == {"balances-only": ["1"]}


def test_sfin005_basic_auth_sent_and_url_has_no_userinfo(server):
    server.expect_request(PATH).respond_with_handler(bridge(V1_BODY))
    _client(server).fetch_balances()
    (request,) = _requests(server)
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"{USER}:{PASSWORD}"  # percent-decoded from the URL
    assert request.authorization.username == USER
    assert request.authorization.password == PASSWORD
    for text in (request.url, request.full_path, request.headers["Host"]):
        assert "@" not in text
        assert USER not in text
        _assert_no_secret(text)


def test_sfin006_wrong_credentials_are_rejected_by_the_fake(server):
    # The fake checks credentials like the bridge: a client with another password gets 403.
    server.expect_request(PATH).respond_with_handler(bridge(V1_BODY))
    client = SimpleFinClient(_access_url(server, password="not-the-password"), backoff_max_s=0.01)
    with pytest.raises(SimpleFinAuthError):
        client.fetch_balances()
    assert len(_requests(server)) == 1


# --------------------------------------------------------------------------- errors


def test_sfin010_403_raises_auth_error_without_retry(server):
    server.expect_request(PATH).respond_with_handler(bridge(status=403))
    sleeps = Recorder()
    with pytest.raises(SimpleFinAuthError) as info:
        _client(server, sleep=sleeps).fetch_balances()
    exc = info.value
    assert len(_requests(server)) == 1
    assert sleeps.waits == []
    assert exc.kind == "auth" and exc.status == 403
    assert isinstance(exc, SimpleFinError)
    assert "create a new SimpleFIN setup token" in str(exc)
    assert "compromised" in str(exc)


def test_sfin011_402_raises_payment_required_without_retry(server):
    server.expect_request(PATH).respond_with_handler(bridge(status=402))
    with pytest.raises(SimpleFinPaymentRequired) as info:
        _client(server).fetch_balances()
    assert len(_requests(server)) == 1
    assert info.value.kind == "payment_required" and info.value.status == 402


@pytest.mark.parametrize("status", [400, 404, 422])
def test_sfin012_other_client_errors_are_not_retried(server, status):
    server.expect_request(PATH).respond_with_handler(bridge(status=status, raw=b"nope"))
    with pytest.raises(SimpleFinHTTPError) as info:
        _client(server).fetch_balances()
    assert len(_requests(server)) == 1
    assert info.value.status == status and info.value.kind == "http_error"
    assert f"HTTP {status}" in str(info.value)


def test_sfin013_500_then_success(server):
    server.expect_ordered_request(PATH).respond_with_handler(bridge(status=500))
    server.expect_ordered_request(PATH).respond_with_handler(bridge(V1_BODY))
    sleeps = Recorder()
    snap = _client(server, sleep=sleeps).fetch_balances()
    assert len(_requests(server)) == 2
    assert len(sleeps.waits) == 1
    assert cash_position(snap)["value"] == 24402.45
    server.check_assertions()


def test_sfin014_429_retry_after_zero_is_honoured_then_success(server):
    server.expect_ordered_request(PATH).respond_with_handler(bridge(status=429, headers={"Retry-After": "0"}))
    server.expect_ordered_request(PATH).respond_with_handler(bridge(V1_BODY))
    sleeps = Recorder()
    # backoff_max_s=60: without Retry-After the wait would be ≥ 1 s; the header says 0.
    snap = _client(server, backoff_max_s=60, sleep=sleeps).fetch_balances()
    assert len(_requests(server)) == 2
    assert sleeps.waits == [0.0]
    assert cash_position(snap)["account_count"] == 2
    server.check_assertions()


def test_sfin015_exponential_backoff_with_jitter_and_cap(server):
    for _ in range(3):
        server.expect_ordered_request(PATH).respond_with_handler(bridge(status=503))
    server.expect_ordered_request(PATH).respond_with_handler(bridge(V1_BODY))
    sleeps = Recorder()
    _client(server, backoff_max_s=60, sleep=sleeps).fetch_balances()
    assert len(sleeps.waits) == 3
    for wait, base in zip(sleeps.waits, (1, 2, 4)):
        assert base <= wait <= base + 1  # 1, 2, 4 s plus up to 1 s of jitter

    server.clear()
    server.no_handler_status_code = 404
    server.expect_request(PATH).respond_with_handler(bridge(status=502))
    capped = Recorder()
    with pytest.raises(SimpleFinUnavailable):
        _client(server, backoff_max_s=3, max_attempts=5, sleep=capped).fetch_balances()
    assert len(capped.waits) == 4
    assert all(w <= 3 for w in capped.waits) and capped.waits[-1] == 3


def test_sfin016_5xx_exhausts_attempts_then_unavailable(server):
    server.expect_request(PATH).respond_with_handler(bridge(status=503))
    with pytest.raises(SimpleFinUnavailable) as info:
        _client(server, max_attempts=3).fetch_balances()
    assert len(_requests(server)) == 3
    assert info.value.kind == "unavailable" and info.value.status == 503
    assert "after 3 attempt(s)" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_sfin017_429_longer_than_cap_gives_up_at_once(server):
    server.expect_request(PATH).respond_with_handler(bridge(status=429, headers={"Retry-After": "3600"}))
    sleeps = Recorder()
    with pytest.raises(SimpleFinRateLimited) as info:
        _client(server, backoff_max_s=60, sleep=sleeps).fetch_balances()
    assert len(_requests(server)) == 1
    assert sleeps.waits == []
    assert isinstance(info.value, SimpleFinUnavailable) and info.value.kind == "rate_limited"


def test_sfin020_malformed_json_raises_bad_response(server):
    server.expect_request(PATH).respond_with_handler(bridge(raw=b'{"accounts": [ {"id": '))
    with pytest.raises(SimpleFinBadResponse) as info:
        _client(server).fetch_balances()
    assert len(_requests(server)) == 1  # not retried
    assert info.value.kind == "bad_response"
    assert "not JSON" in str(info.value)


@pytest.mark.parametrize(
    "body, fragment",
    [
        ([1, 2, 3], "expected an Account Set"),
        ({"accounts": {"id": "x"}}, "'accounts' is not a list"),
        ({"something": []}, "no 'accounts' list"),
        ({"errors": [], "accounts": [_account("A1", "12,00")]}, "no numeric 'balance'"),
        ({"errors": [], "accounts": [_account("A1", "NaN")]}, "no numeric 'balance'"),
    ],
)
def test_sfin021_wrong_shape_raises_bad_response(server, body, fragment):
    server.expect_request(PATH).respond_with_handler(bridge(body))
    with pytest.raises(SimpleFinBadResponse) as info:
        _client(server).fetch_balances()
    assert fragment in str(info.value)


@pytest.fixture
def slow_server():
    """A bridge fake of its own whose handler sleeps 0.5 s; released at teardown."""
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    release = threading.Event()
    srv.hits = []
    srv.expect_request(PATH).respond_with_handler(bridge(V1_BODY, delay=release, delay_s=0.5, hits=srv.hits))
    yield srv
    release.set()
    srv.clear()
    srv.stop()


def test_sfin022_slow_response_past_timeout_is_unavailable(slow_server):
    client = SimpleFinClient(_access_url(slow_server), timeout_s=0.2, max_attempts=2, backoff_max_s=0.01)
    with pytest.raises(SimpleFinUnavailable) as info:
        client.fetch_balances()
    assert info.value.kind == "unavailable"
    assert "timeout" in str(info.value)
    assert "after 2 attempt(s)" in str(info.value)
    for _ in range(100):  # the threaded fake may register the 2nd arrival a moment later
        if len(slow_server.hits) >= 2:
            break
        threading.Event().wait(0.05)
    assert slow_server.hits == [PATH, PATH]  # exactly max_attempts requests, each timed out
    _assert_no_secret(str(info.value))


def test_sfin023_connection_refused_is_unavailable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = SimpleFinClient(f"http://{USER}:{PASSWORD_ENCODED}@127.0.0.1:{port}/simplefin",
                             max_attempts=2, backoff_max_s=0.01, timeout_s=2)
    with pytest.raises(SimpleFinUnavailable) as info:
        client.fetch_balances()
    assert "transport error" in str(info.value)
    _assert_no_secret(str(info.value))
    _assert_no_secret(repr(info.value))


# --------------------------------------------------------------------------- filtering


def test_sfin030_non_usd_accounts_excluded(server):
    body = {"errors": [], "accounts": [
        _account("USD-1", "1000.50"),
        _account("EUR-1", "999999.00", currency="EUR"),
        _account("MILES-1", "50000", currency="https://www.example.com/flight-miles"),
    ]}
    server.expect_request(PATH).respond_with_handler(bridge(body))
    snap = _client(server).fetch_balances()
    assert snap.accounts["account_id"].tolist() == ["USD-1"]
    assert cash_position(snap)["value"] == 1000.50
    assert cash_position(snap)["partial_errors"] == 0  # exclusions are notices, not errors
    assert len(snap.notices) == 2
    assert "'EUR' is not USD" in snap.notices[0]  # notices follow response order: EUR-1, MILES-1
    assert "flight-miles" in snap.notices[1] and "Account MILES-1" in snap.notices[1]


def test_sfin031_allow_list_filters_and_reports_missing_ids(server):
    body = {"errors": [], "accounts": [_account("A1", "10.00"), _account("A2", "20.00"),
                                       _account("LOAN", "-5000.00")]}
    server.expect_request(PATH).respond_with_handler(bridge(body))
    snap = _client(server, account_ids=["A1", "A2", "GONE"]).fetch_balances()
    assert sorted(snap.accounts["account_id"]) == ["A1", "A2"]
    assert cash_position(snap)["value"] == 30.0
    assert snap.errors == ["Allow-listed account 'GONE' was not returned by SimpleFIN; the cash position excludes it"]
    assert cash_position(snap)["partial_errors"] == 1


def test_sfin032_no_accounts_gives_zero_and_no_age():
    snap = CashSnapshot(empty_accounts_frame(), [], dt.datetime.now(dt.timezone.utc))
    assert cash_position(snap) == {"value": 0.0, "account_count": 0, "oldest_balance_age_hours": None,
                                   "partial_errors": 0}


# --------------------------------------------------------------------------- secrets


def test_sfin040_password_never_in_exceptions_repr_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)  # includes httpx/httpcore debug records
    echo = {"errlist": [{"code": "gen.api", "msg": f"bad request to {_access_url(server)}/accounts"}],
            "connections": [], "accounts": [_account("A1", "1.00")]}
    server.expect_ordered_request(PATH).respond_with_handler(bridge(status=503))
    server.expect_ordered_request(PATH).respond_with_handler(bridge(echo))
    server.expect_ordered_request(PATH).respond_with_handler(bridge(status=403))
    server.expect_ordered_request(PATH).respond_with_handler(bridge(status=404, raw=_access_url(server).encode()))
    client = _client(server)

    snap = client.fetch_balances()  # one retry (logged), then data whose error echoes the Access URL
    assert snap.errors and "gen.api: bad request to http://***@" in snap.errors[0]
    _assert_no_secret(" ".join(snap.errors))
    texts = [repr(client), str(client)]
    for _ in range(2):
        with pytest.raises(SimpleFinError) as info:
            client.fetch_balances()
        texts += [str(info.value), repr(info.value), info.value.message]
    assert "http://***@" in texts[-3]  # the 404 body echoing the URL was sanitized
    assert "<redacted>" in repr(client) and "localhost" in repr(client)

    records = caplog.records
    assert any("retrying" in r.getMessage() for r in records)  # the retry was logged …
    texts += [r.getMessage() for r in records] + [caplog.text]
    for text in texts:
        _assert_no_secret(text)  # … without credentials
    for record in records:
        _assert_no_secret(repr(record.args))


def test_sfin041_bad_access_urls_rejected_without_echoing_secrets():
    cases = [
        f"http://{USER}:{PASSWORD_ENCODED}@bridge.example.com/simplefin",  # plain http, remote host
        "https://bridge.example.com/simplefin",  # no credentials
        f"ftp://{USER}:{PASSWORD_ENCODED}@bridge.example.com/simplefin",
        "",
    ]
    for url in cases:
        with pytest.raises(SimpleFinConfigError) as info:
            SimpleFinClient(url)
        assert info.value.kind == "config"
        _assert_no_secret(str(info.value))
    client = SimpleFinClient(f"https://{USER}:{PASSWORD_ENCODED}@bridge.example.com/simplefin/")
    assert client.base_url == "https://bridge.example.com/simplefin"
    _assert_no_secret(repr(client))


# --------------------------------------------------------------------------- storage


def test_sfin050_accounts_frame_round_trips_through_arrow_ipc_exactly(server):
    body = {"errors": [], "accounts": [
        _account("A1", "100.2", **{"available-balance": "bad"}),  # → None, with a notice
        _account("A2", "24302.22"),
        _account("A3", "7", date=None),
    ]}
    server.expect_request(PATH).respond_with_handler(bridge(body))
    snap = _client(server).fetch_balances()
    frame = snap.accounts
    assert frame["balance_usd"].tolist() == [Decimal("100.20"), Decimal("24302.22"), Decimal("7.00")]
    assert frame["available_balance_usd"].tolist() == [None, Decimal("24302.22"), Decimal("7.00")]
    assert frame["balance_date"].isna().tolist() == [False, False, True]
    assert any("balance-date" in e for e in snap.errors)
    assert any("available-balance" in n for n in snap.notices)

    meta = FrameMeta("cash_position", dt.date(2026, 1, 1), snap.fetched_at, 0.1, len(frame))
    back = frame_from_bytes(frame_to_bytes(CachedFrame(frame, meta))).frame
    pd.testing.assert_frame_equal(back, frame)
    assert [repr(v) for v in back["balance_usd"]] == [repr(v) for v in frame["balance_usd"]]
    assert [repr(v) for v in back["available_balance_usd"]] == [repr(v) for v in frame["available_balance_usd"]]

    empty = empty_accounts_frame()
    pd.testing.assert_frame_equal(frame_from_bytes(frame_to_bytes(CachedFrame(empty, meta))).frame, empty)
