"""SimpleFIN Bridge client → the **Cash Position** metric.

API (see ``../shared/api_contracts.md`` §0 and §1, and the SimpleFIN protocol v1/v2)::

    GET {access_url without userinfo}/accounts?balances-only=1
    Authorization: Basic base64(user:password)        # userinfo of the Access URL

The Access URL (``https://user:pass@host/simplefin``) is a credential. This module
strips its userinfo, sends it as HTTP Basic auth, and never puts it into a log
record, an exception message or a ``repr()``. Only HTTPS is allowed (protocol
checklist), except for loopback hosts so tests can use a local fake.

Responses (Account Set), both parsed leniently:

- v1: ``{"errors": [str], "accounts": [{"org": {"name", "domain", ...}, "id", "name",
  "currency", "balance", "available-balance", "balance-date", ...}]}``
- v2: ``{"errlist": [{"code", "msg"|"message", "conn_id"?, "account_id"?}],
  "errors"?: [str] (deprecated), "connections": [{"conn_id", "name", "org_id", ...}],
  "accounts": [{..., "conn_id", "conn_name"?}]}``

Status codes: 200 (non-empty ``errors``/``errlist`` = partial data: kept and
surfaced), 402 payment required, 403 revoked/wrong credentials. Retries (tenacity):
429 (``Retry-After`` honoured), 500/502/503/504, timeouts and transport errors, with
exponential backoff and jitter (1, 2, 4, 8 s …, capped); never 4xx otherwise.

Decimal storage choice: ``balance_usd`` and ``available_balance_usd`` hold
``decimal.Decimal`` values in an ``object`` column (never float). Within a snapshot
every value of a column is rescaled to the column's largest number of decimal places
(only trailing zeros are added, so nothing is rounded). ``pyarrow`` infers
``decimal128(p, s)`` from such a column and converts it back to the *same* Decimal
values (including their exponent) in ``object`` dtype, so the frame round-trips
through the Redis frame store (Arrow IPC) exactly. Missing values are ``None``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pandas as pd
from tenacity import RetryCallState, wait_exponential_jitter

from integrations._http import ApiError, RetryingGet, parse_retry_after  # noqa: F401 — parse_retry_after re-exported

log = logging.getLogger(__name__)

ACCOUNT_COLUMNS = (
    "account_id",
    "account_name",
    "institution",
    "currency",
    "balance_usd",
    "available_balance_usd",
    "balance_date",
)

_MAX_MESSAGE_CHARS = 500
_MAX_DECIMAL_DIGITS = 38  # decimal128
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]*@")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


# --------------------------------------------------------------------------- errors


class SimpleFinError(ApiError):
    """Base of every error this module raises (``_http.ApiError``: ``kind``, a sanitized ``message``
    without credentials or URL userinfo, ``status``). Kinds: ``"auth"``, ``"payment_required"``,
    ``"unavailable"``, ``"rate_limited"``, ``"bad_response"``, ``"http_error"``, ``"config"``."""


class SimpleFinConfigError(SimpleFinError, ValueError):
    """The Access URL (or another constructor argument) is unusable. Raised by the constructor."""

    kind = "config"


class SimpleFinAuthError(SimpleFinError):
    """403 (or 401): access revoked, credentials wrong, or the token was already claimed.

    Not retried. Treat the Access URL as possibly compromised: disable it at the
    bridge and create a new SimpleFIN setup token.
    """

    kind = "auth"


class SimpleFinPaymentRequired(SimpleFinError):
    """402: the SimpleFIN Bridge subscription needs payment. Not retried."""

    kind = "payment_required"


class SimpleFinUnavailable(SimpleFinError):
    """The bridge stayed unreachable: 5xx, timeouts or transport errors after all retries."""

    kind = "unavailable"


class SimpleFinRateLimited(SimpleFinUnavailable):
    """429 whose ``Retry-After`` is longer than the client may wait (``backoff_max_s``),
    or 429 on every attempt. A subclass of ``SimpleFinUnavailable``."""

    kind = "rate_limited"


class SimpleFinBadResponse(SimpleFinError):
    """HTTP 200 but the body is not JSON or not an Account Set (or a kept balance is not a number)."""

    kind = "bad_response"


class SimpleFinHTTPError(SimpleFinError):
    """Any other non-retryable status (400, 404, 422, a redirect, …)."""

    kind = "http_error"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class CashSnapshot:
    """One successful ``GET /accounts?balances-only=1``.

    Attributes:
        accounts: one row per kept account (USD, and allow-listed when an allow-list is
            configured), sorted by institution, account name, account id. Columns:
            ``account_id`` str, ``account_name`` str, ``institution`` str (v1 ``org.name``;
            v2 connection ``org_name``/``name``; ``""`` if unknown), ``currency`` str
            (always ``"USD"``), ``balance_usd`` Decimal (object dtype, USD),
            ``available_balance_usd`` Decimal or None (object dtype, USD; equals the
            balance when the server omits it, as the protocol allows),
            ``balance_date`` ``datetime64[us, UTC]`` (NaT if the server sent none).
        errors: partial-data messages from the server (``errlist`` and ``errors``), plus
            problems that make the figure incomplete (an allow-listed account missing, an
            account without ``balance-date``). Sanitized, for display to admins. Each one
            counts in ``cash_position()["partial_errors"]``.
        fetched_at: when the response arrived (UTC, timezone-aware).
        notices: informational, not counted as errors: accounts left out because their
            currency is not USD (ISO code or custom-currency URL), or an unparseable
            ``available-balance``. Sanitized.
    """

    accounts: pd.DataFrame
    errors: list[str]
    fetched_at: dt.datetime
    notices: list[str] = field(default_factory=list)


def empty_accounts_frame() -> pd.DataFrame:
    """A zero-row frame with the ``CashSnapshot.accounts`` columns and dtypes."""
    return _accounts_frame([])


def cash_position(snapshot: CashSnapshot, now: dt.datetime | None = None) -> dict[str, Any]:
    """The one definition of the metric: cash position = Σ balance over kept USD accounts.

    Args:
        snapshot: from ``SimpleFinClient.fetch_balances`` (or rebuilt from a cached frame).
        now: reference time for the freshness figure (timezone-aware); defaults to
            ``snapshot.fetched_at``.

    Returns:
        ``{"value": float, "account_count": int, "oldest_balance_age_hours": float | None,
        "partial_errors": int}`` — ``value`` is the total in USD, summed exactly as Decimal
        and converted to float only at the end; ``oldest_balance_age_hours`` is
        ``max(now − balance_date)`` in hours over the accounts (``None`` when there is no
        account with a balance date); ``partial_errors`` is ``len(snapshot.errors)``.
    """
    frame = snapshot.accounts
    total = sum((Decimal(v) for v in frame["balance_usd"]), Decimal(0))
    ref = now or snapshot.fetched_at
    dates = frame["balance_date"].dropna()
    if len(dates):
        oldest_age = (pd.Timestamp(ref) - dates.min()).total_seconds() / 3600.0
    else:
        oldest_age = None
    return {
        "value": float(total),
        "account_count": int(len(frame)),
        "oldest_balance_age_hours": oldest_age,
        "partial_errors": len(snapshot.errors),
    }


# --------------------------------------------------------------------------- client


class SimpleFinClient(RetryingGet):
    """Read-only client for a SimpleFIN Bridge Access URL (synchronous, httpx + tenacity).

    Args:
        access_url: ``https://user:pass@host/path`` as claimed from a setup token. The
            userinfo (percent-decoded) becomes HTTP Basic auth; the rest is the base URL.
            Must be ``https`` (``http`` only for loopback hosts, i.e. local fakes).
        timeout_s: per-operation httpx timeout (connect, read, write, pool), seconds.
        max_attempts: total tries per request, including the first (≥ 1).
        backoff_max_s: cap of the exponential backoff (1, 2, 4, 8 s … + jitter up to 1 s),
            seconds. A 429 whose ``Retry-After`` exceeds this cap is not waited for:
            ``SimpleFinRateLimited`` is raised at once (the bridge allows ~24 requests/day;
            the next scheduled refresh will try again). Tests pass e.g. ``0.01``.
        account_ids: optional allow-list; when non-empty only these account ids count.
            ``None`` or an empty list means all USD accounts.
        sleep: the function used to wait between retries (``time.sleep``); injectable so
            tests can record waits instead of sleeping.

    Attributes:
        base_url: the Access URL without userinfo or trailing slash — safe to log or display.
        account_ids: the allow-list as a tuple, or ``None``.

    Raises:
        SimpleFinConfigError: the Access URL has no credentials, is not https (non-loopback),
            or arguments are out of range. The message never contains the credentials.

    The instance refuses to be pickled (it holds the credentials); ``repr()`` redacts them.
    """

    api_name = "SimpleFIN Bridge"
    unavailable_error = SimpleFinUnavailable
    rate_limited_error = SimpleFinRateLimited
    rate_limit_note = "; the bridge expects at most 24 /accounts requests a day"

    def __init__(
        self,
        access_url: str,
        timeout_s: float = 20.0,
        max_attempts: int = 5,
        backoff_max_s: float = 60.0,
        account_ids: list[str] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base_url, username, password, secrets = _split_access_url(access_url)
        if not timeout_s > 0:
            raise SimpleFinConfigError("timeout_s must be > 0")
        if int(max_attempts) < 1:
            raise SimpleFinConfigError("max_attempts must be >= 1")
        if backoff_max_s < 0:
            raise SimpleFinConfigError("backoff_max_s must be >= 0")
        self.base_url = base_url
        self.timeout_s = float(timeout_s)
        self.max_attempts = int(max_attempts)
        self.backoff_max_s = float(backoff_max_s)
        ids = [str(a).strip() for a in (account_ids or []) if str(a).strip()]
        self.account_ids: tuple[str, ...] | None = tuple(dict.fromkeys(ids)) or None
        self._auth = httpx.BasicAuth(username, password)
        self._secrets = secrets
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(initial=1, max=self.backoff_max_s, exp_base=2, jitter=1)

    def __repr__(self) -> str:
        return (
            f"SimpleFinClient(base_url={self.base_url!r}, credentials=<redacted>, timeout_s={self.timeout_s}, "
            f"max_attempts={self.max_attempts}, backoff_max_s={self.backoff_max_s}, "
            f"account_ids={list(self.account_ids) if self.account_ids else None})"
        )

    __str__ = __repr__

    def __reduce__(self):  # never pickle a credential into a cache by accident
        raise TypeError("SimpleFinClient holds credentials and cannot be pickled")

    # ------------------------------------------------------------------ public

    def fetch_balances(self) -> CashSnapshot:
        """``GET {base}/accounts?balances-only=1`` → ``CashSnapshot`` (USD accounts only).

        Returns:
            The snapshot; partial-data messages of an HTTP 200 are in ``errors``.

        Raises:
            SimpleFinAuthError: 403/401 — access revoked or credentials wrong (not retried).
            SimpleFinPaymentRequired: 402 (not retried).
            SimpleFinRateLimited: 429 beyond ``backoff_max_s`` or on every attempt.
            SimpleFinUnavailable: 500/502/503/504, timeouts or transport errors on every
                one of ``max_attempts`` tries.
            SimpleFinBadResponse: the body is not JSON, not an Account Set, or a kept
                account has no numeric ``balance``.
            SimpleFinHTTPError: any other status (400, 404, 422, 3xx …; not retried).
        """
        payload = self._get_json("/accounts", {"balances-only": "1"})
        fetched_at = dt.datetime.now(dt.timezone.utc)
        snapshot = self._parse_account_set(payload, fetched_at)
        log.info(
            "SimpleFIN: %d USD account(s) kept, %d partial-data message(s), %d notice(s)",
            len(snapshot.accounts), len(snapshot.errors), len(snapshot.notices),
        )
        return snapshot

    # ------------------------------------------------------------------ HTTP

    def _get_json(self, path: str, params: Mapping[str, str]) -> Any:
        headers = {"Accept": "application/json", "User-Agent": "pulse-simplefin/1"}
        with httpx.Client(
            auth=self._auth, timeout=httpx.Timeout(self.timeout_s), follow_redirects=False,
            headers=headers,
        ) as http:
            response = self._get_with_retries(http, self.base_url + path, params, self._log_retry)
        try:
            return json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise SimpleFinBadResponse(
                f"SimpleFIN /accounts returned a body that is not JSON ({len(response.content)} bytes, "
                f"content-type {self._clean(response.headers.get('content-type', '?'))!r})",
                status=response.status_code,
            ) from None

    def _on_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise SimpleFinAuthError(
                f"SimpleFIN Bridge refused the credentials (HTTP {status}): access revoked or token "
                "already claimed — create a new SimpleFIN setup token. Treat the Access URL as possibly "
                "compromised: disable it at the bridge and replace PULSE_SIMPLEFIN_ACCESS_URL.",
                status=status,
            )
        if status == 402:
            raise SimpleFinPaymentRequired(
                "SimpleFIN Bridge requires payment (HTTP 402): renew the SimpleFIN Bridge subscription.",
                status=402,
            )
        raise SimpleFinHTTPError(
            f"SimpleFIN /accounts returned HTTP {status}{self._body_hint(response)}", status=status
        )

    def _log_retry(self, retry_state: RetryCallState) -> None:
        what, wait = self._retry_text(retry_state)
        log.warning(
            "SimpleFIN %s failed (%s); attempt %d/%d, retrying in %.2f s",
            self.base_url, what, retry_state.attempt_number, self.max_attempts, wait,
        )

    def _clean(self, text: str) -> str:
        return sanitize_message(text, self._secrets)

    # ------------------------------------------------------------------ parsing

    def _parse_account_set(self, payload: Any, fetched_at: dt.datetime) -> CashSnapshot:
        if not isinstance(payload, dict):
            raise SimpleFinBadResponse(
                f"SimpleFIN /accounts returned JSON {type(payload).__name__}, expected an Account Set object"
            )
        raw_accounts = payload.get("accounts")
        if raw_accounts is None:
            raw_accounts = []
            if not (payload.get("errlist") or payload.get("errors")):
                raise SimpleFinBadResponse("SimpleFIN /accounts response has no 'accounts' list")
        if not isinstance(raw_accounts, list):
            raise SimpleFinBadResponse("SimpleFIN /accounts 'accounts' is not a list")

        connections: dict[str, dict] = {}
        for conn in payload.get("connections") or []:
            if isinstance(conn, dict) and conn.get("conn_id") is not None:
                connections[str(conn["conn_id"])] = conn

        errors = self._server_errors(payload, connections)
        notices: list[str] = []
        rows: list[dict[str, Any]] = []
        seen_ids: set[str] = set()
        for index, acct in enumerate(raw_accounts):
            if not isinstance(acct, dict):
                raise SimpleFinBadResponse(f"SimpleFIN account #{index} is not an object")
            account_id = _text(acct.get("id"))
            if not account_id:
                raise SimpleFinBadResponse(f"SimpleFIN account #{index} has no 'id'")
            seen_ids.add(account_id)
            if self.account_ids is not None and account_id not in self.account_ids:
                continue
            name = self._clean(_text(acct.get("name")))
            label = f"{name or account_id} ({self._clean(account_id)})"
            currency = _text(acct.get("currency")).strip()
            if currency.upper() != "USD":
                shown = self._clean(currency)[:80] or "none"
                notices.append(f"Excluded account {label}: currency {shown!r} is not USD")
                continue
            balance = _to_decimal(acct.get("balance"))
            if balance is None:
                raise SimpleFinBadResponse(f"SimpleFIN account {label} has no numeric 'balance'")
            if "available-balance" in acct and acct["available-balance"] not in (None, ""):
                available = _to_decimal(acct["available-balance"])
                if available is None:
                    notices.append(f"Account {label}: 'available-balance' is not a number; left empty")
            else:
                available = balance  # protocol: may be omitted when equal to the balance
            balance_date = _to_epoch_timestamp(acct.get("balance-date"))
            if balance_date is None:
                errors.append(f"Account {label} has no valid 'balance-date'; its freshness is unknown")
            rows.append({
                "account_id": account_id,
                "account_name": name,
                "institution": self._institution(acct, connections),
                "currency": "USD",
                "balance_usd": balance,
                "available_balance_usd": available,
                "balance_date": balance_date,
            })

        if self.account_ids is not None:
            for missing in (a for a in self.account_ids if a not in seen_ids):
                errors.append(
                    f"Allow-listed account {self._clean(missing)!r} was not returned by SimpleFIN; "
                    "the cash position excludes it"
                )
        return CashSnapshot(_accounts_frame(rows), errors, fetched_at, notices)

    def _server_errors(self, payload: dict, connections: Mapping[str, dict]) -> list[str]:
        messages: list[str] = []
        errlist = payload.get("errlist")
        if isinstance(errlist, list):
            for item in errlist:
                if isinstance(item, dict):
                    code = self._clean(_text(item.get("code")))[:40]
                    msg = self._clean(_text(item.get("msg") or item.get("message") or ""))
                    conn = connections.get(_text(item.get("conn_id")))
                    where = f" [{self._clean(_text(conn.get('name')))}]" if conn and conn.get("name") else ""
                    text = f"{code}: {msg}" if code else msg
                    messages.append((text or "unspecified error") + where)
                elif item not in (None, ""):
                    messages.append(self._clean(_text(item)))
        legacy = payload.get("errors")
        if isinstance(legacy, list):
            for item in legacy:
                if isinstance(item, dict):
                    item = item.get("msg") or item.get("message") or json.dumps(item, default=str)
                text = self._clean(_text(item))
                # v2 servers may repeat errlist messages in the deprecated list: keep one.
                if text and not any(text in m for m in messages):
                    messages.append(text)
        return [m[:_MAX_MESSAGE_CHARS] for m in messages if m]

    def _institution(self, acct: dict, connections: Mapping[str, dict]) -> str:
        org = acct.get("org")
        if isinstance(org, dict):
            name = _text(org.get("name") or org.get("domain"))
            if name:
                return self._clean(name)
        conn = connections.get(_text(acct.get("conn_id")))
        if conn:
            name = _text(conn.get("org_name") or conn.get("name"))
            if name:
                return self._clean(name)
        return self._clean(_text(acct.get("conn_name")))


# --------------------------------------------------------------------------- helpers


def sanitize_message(text: str, secrets: Iterable[str] = ()) -> str:
    """Make untrusted/server text safe to log or show: remove URL userinfo
    (``scheme://user:pass@`` → ``scheme://***@``), every known secret string, control
    characters, and cut it to 500 characters."""
    text = _USERINFO_RE.sub(r"\1***@", str(text))
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _CONTROL_RE.sub(" ", text).strip()
    return text[:_MAX_MESSAGE_CHARS]


def _split_access_url(access_url: str) -> tuple[str, str, str, tuple[str, ...]]:
    """→ (base URL without userinfo and trailing slash, username, password, secret strings)."""
    if not isinstance(access_url, str) or not access_url.strip():
        raise SimpleFinConfigError("SimpleFIN Access URL is empty")
    raw = access_url.strip()
    try:
        url = httpx.URL(raw)
    except Exception:  # noqa: BLE001 - the parser's message may echo the URL
        raise SimpleFinConfigError("SimpleFIN Access URL is not a valid URL") from None
    userinfo = url.userinfo.decode("ascii", "replace")
    raw_pass = userinfo.partition(":")[2]
    username, password = url.username, url.password
    secrets = tuple(s for s in {userinfo, raw_pass, password, username if len(username) >= 4 else ""} if s)
    if not username or not password:
        raise SimpleFinConfigError("SimpleFIN Access URL has no credentials (expected https://user:pass@host/path)")
    if url.scheme not in ("https", "http") or not url.host:
        raise SimpleFinConfigError("SimpleFIN Access URL must be an https:// URL with a host")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise SimpleFinConfigError("SimpleFIN Access URL must use https:// (http is only allowed for localhost)")
    if url.query or url.fragment:
        raise SimpleFinConfigError("SimpleFIN Access URL must not have a query or fragment")
    base = url.copy_with(username=None, password=None)
    base_str = str(base).rstrip("/")
    if any(s in base_str for s in secrets):  # paranoia: never keep a secret in the base URL
        raise SimpleFinConfigError("SimpleFIN Access URL is malformed (credentials outside the userinfo)")
    return base_str, username, password, secrets


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _to_decimal(value: Any) -> Decimal | None:
    """A numeric string (or JSON number parsed as Decimal/int) → finite Decimal, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):  # not produced by our parser (parse_float=Decimal); be exact anyway
        value = repr(value)
    try:
        d = Decimal(value.strip() if isinstance(value, str) else value)
    except (decimal.InvalidOperation, TypeError, ValueError):
        return None
    if not d.is_finite():
        return None
    return d


def _to_epoch_timestamp(value: Any) -> pd.Timestamp | None:
    d = _to_decimal(value)
    if d is None:
        return None
    try:
        return pd.Timestamp(int(d), unit="s", tz="UTC")
    except (OverflowError, ValueError):
        return None


def _common_scale(values: list[Decimal | None]) -> list[Decimal | None]:
    """Rescale Decimals to the largest number of decimal places among them (adds zeros only),
    so pyarrow's inferred decimal128 scale reproduces every value exactly."""
    present = [v for v in values if v is not None]
    if not present:
        return values
    scale = max(max(-v.as_tuple().exponent, 0) for v in present)
    quantum = Decimal(1).scaleb(-scale)
    ctx = decimal.Context(prec=_MAX_DECIMAL_DIGITS, traps=[decimal.Inexact, decimal.InvalidOperation])
    out: list[Decimal | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        try:
            out.append(v.quantize(quantum, context=ctx))
        except decimal.DecimalException:
            raise SimpleFinBadResponse(
                f"SimpleFIN balance has more than {_MAX_DECIMAL_DIGITS} significant digits"
            ) from None
    return out


def _accounts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    rows = sorted(rows, key=lambda r: (r["institution"], r["account_name"], r["account_id"]))
    col = {c: [r[c] for r in rows] for c in ACCOUNT_COLUMNS}
    return pd.DataFrame({
        "account_id": pd.Series(col["account_id"], dtype="str"),
        "account_name": pd.Series(col["account_name"], dtype="str"),
        "institution": pd.Series(col["institution"], dtype="str"),
        "currency": pd.Series(col["currency"], dtype="str"),
        "balance_usd": pd.Series(_common_scale(col["balance_usd"]), dtype=object),
        "available_balance_usd": pd.Series(_common_scale(col["available_balance_usd"]), dtype=object),
        "balance_date": pd.Series(
            [pd.NaT if d is None else d for d in col["balance_date"]], dtype="datetime64[us, UTC]"
        ),
    })
