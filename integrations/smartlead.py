"""Smartlead client → the **Lead Queue Runway** metric.

API (see ``../shared/api_contracts.md`` §0 and §2)::

    GET {base}/campaigns?api_key=…                                   → JSON array of campaigns
    GET {base}/campaigns/{id}/analytics?api_key=…                    → campaign totals
    GET {base}/campaigns/{id}/analytics-by-date?api_key=…&start_date=YYYY-MM-DD&end_date=YYYY-MM-DD

The API key travels as the ``api_key`` query parameter on every call, so a request URL is a
credential: this module never logs a URL with its query, redacts the key from every message
it builds and from httpx's own "HTTP Request: GET …" log records, and never puts it into an
exception or a ``repr()``. The base URL (default ``https://server.smartlead.ai/api/v1``) must be
https, except for loopback hosts so tests can use a local fake.

Counts (``*_count``, ``campaign_lead_stats.*``) may arrive as numbers or numeric strings (the
contract leaves it open); both are accepted (``int(float(x))``).

Retries (tenacity, contract §0): 429 (``Retry-After`` honoured), 500/502/503/504, timeouts and
transport errors, with exponential backoff and jitter (1, 2, 4, 8 s …, capped at 60 s, 5 tries);
never 400/401/403/404/422.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd
from tenacity import RetryCallState, wait_exponential_jitter

from integrations._http import ApiError, RetryingGet
from integrations.simplefin import _is_loopback, sanitize_message

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://server.smartlead.ai/api/v1"
WINDOW_DAYS = 14  # the contract's cold-start average: Σ unique_sent_count over 14 days ÷ 14
COUNTED_STATUS = "ACTIVE"
CAMPAIGN_COLUMNS = ("campaign_id", "campaign_name", "status", "queued_lead_count", "sent_14d_count", "runway_days")
_API_KEY_RE = re.compile(r"(?i)(api_key=)[^&\s\"']*")


# --------------------------------------------------------------------------- errors


class SmartleadError(ApiError):
    """Base of every error this module raises (``_http.ApiError``: ``kind``, a sanitized ``message``, ``status``)."""


class SmartleadConfigError(SmartleadError, ValueError):
    """The API key or base URL is unusable. Raised by the constructor."""

    kind = "config"


class SmartleadAuthError(SmartleadError):
    """401/403: the API key is wrong or revoked. Not retried."""

    kind = "auth"


class SmartleadUnavailable(SmartleadError):
    """Smartlead stayed unreachable: 5xx, timeouts or transport errors after all retries."""

    kind = "unavailable"


class SmartleadRateLimited(SmartleadUnavailable):
    """429 on every attempt, or a ``Retry-After`` longer than the client may wait."""

    kind = "rate_limited"


class SmartleadBadResponse(SmartleadError):
    """HTTP 200 but the body is not JSON or not the documented shape."""

    kind = "bad_response"


class SmartleadHTTPError(SmartleadError):
    """Any other non-retryable status (400, 404, 422, a redirect, …)."""

    kind = "http_error"


# --------------------------------------------------------------------------- log redaction


class _RedactApiKey(logging.Filter):
    """Rewrites ``api_key=…`` in log records (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            if any("api_key=" in str(a) for a in args):
                record.msg = redact(record.getMessage())
                record.args = ()
        elif "api_key=" in str(record.msg):
            record.msg = redact(str(record.msg))
        return True


def redact(text: str) -> str:
    """``…?api_key=secret&x=1`` → ``…?api_key=***&x=1``."""
    return _API_KEY_RE.sub(r"\1***", text)


def _install_redaction() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactApiKey) for f in logger.filters):
            logger.addFilter(_RedactApiKey())


_install_redaction()


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class RunwaySnapshot:
    """One successful fetch: ``campaigns`` (one row per ACTIVE campaign, columns
    ``CAMPAIGN_COLUMNS``), the window ``[start_date, end_date]`` and ``fetched_at`` (UTC)."""

    campaigns: pd.DataFrame
    start_date: dt.date
    end_date: dt.date
    fetched_at: dt.datetime


def runway_days(queued: float, sent_in_window: float, window_days: int = WINDOW_DAYS) -> float | None:
    """``queued ÷ (sent_in_window ÷ window_days)``; ``None`` when nothing was sent (no rate)."""
    if not sent_in_window or sent_in_window <= 0:
        return None
    return float(queued) / (float(sent_in_window) / window_days)


def lead_queue_runway(snapshot: RunwaySnapshot) -> dict[str, Any]:
    """The one definition of the metric: Σ notStarted over ACTIVE campaigns ÷ (Σ unique_sent_count
    over the last 14 days ÷ 14). ``value`` is ``None`` when nothing was sent in the window."""
    frame = snapshot.campaigns
    queued = int(frame["queued_lead_count"].sum()) if len(frame) else 0
    sent = int(frame["sent_14d_count"].sum()) if len(frame) else 0
    value = runway_days(queued, sent)
    return {
        "value": float("nan") if value is None else value,
        "queued_lead_count": queued,
        "sent_14d_count": sent,
        "sent_per_day": sent / WINDOW_DAYS,
        "active_campaign_count": int(len(frame)),
    }


def empty_campaigns_frame() -> pd.DataFrame:
    return _campaigns_frame([])


# --------------------------------------------------------------------------- client


class SmartleadClient(RetryingGet):
    """Read-only Smartlead API client (synchronous, httpx + tenacity).

    Args:
        api_key: the account's API key (sent as ``api_key`` query parameter; never logged).
        base_url: API root, default ``DEFAULT_BASE_URL``; ``https`` only (``http`` for loopback fakes).
        timeout_s: per-operation httpx timeout, seconds.
        max_attempts: total tries per request, including the first (≥ 1).
        backoff_max_s: cap of the exponential backoff; a 429 whose ``Retry-After`` exceeds it is
            not waited for (``SmartleadRateLimited`` at once).
        sleep: injectable wait function (tests record waits instead of sleeping).

    The instance refuses to be pickled; ``repr()`` redacts the key.
    """

    api_name = "Smartlead"
    unavailable_error = SmartleadUnavailable
    rate_limited_error = SmartleadRateLimited

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 20.0,
                 max_attempts: int = 5, backoff_max_s: float = 60.0, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise SmartleadConfigError("Smartlead API key is empty")
        self._api_key = api_key.strip()
        self._secrets = (self._api_key,)
        self.base_url = _check_base_url(base_url, self._secrets)
        if not timeout_s > 0:
            raise SmartleadConfigError("timeout_s must be > 0")
        if int(max_attempts) < 1:
            raise SmartleadConfigError("max_attempts must be >= 1")
        if backoff_max_s < 0:
            raise SmartleadConfigError("backoff_max_s must be >= 0")
        self.timeout_s = float(timeout_s)
        self.max_attempts = int(max_attempts)
        self.backoff_max_s = float(backoff_max_s)
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(initial=1, max=self.backoff_max_s, exp_base=2, jitter=1)

    def __repr__(self) -> str:
        return (f"SmartleadClient(base_url={self.base_url!r}, api_key=<redacted>, timeout_s={self.timeout_s}, "
                f"max_attempts={self.max_attempts}, backoff_max_s={self.backoff_max_s})")

    __str__ = __repr__

    def __reduce__(self):  # never pickle a credential into a cache by accident
        raise TypeError("SmartleadClient holds an API key and cannot be pickled")

    # ------------------------------------------------------------------ public

    def campaigns(self) -> list[dict]:
        """``GET /campaigns`` → the campaigns (each with ``id``, ``name``, ``status``)."""
        payload = self._get_json("/campaigns", {})
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            payload = payload["data"]  # tolerate a wrapped list
        if not isinstance(payload, list):
            raise SmartleadBadResponse(f"Smartlead /campaigns returned JSON {type(payload).__name__}, expected an array")
        out = []
        for i, c in enumerate(payload):
            if not isinstance(c, dict) or c.get("id") in (None, ""):
                raise SmartleadBadResponse(f"Smartlead campaign #{i} has no 'id'")
            out.append(c)
        return out

    def campaign_analytics(self, campaign_id: Any) -> dict:
        """``GET /campaigns/{id}/analytics`` → the campaign's totals (with ``campaign_lead_stats``)."""
        return self._object(f"/campaigns/{_path_id(campaign_id)}/analytics", {})

    def analytics_by_date(self, campaign_id: Any, start_date: dt.date, end_date: dt.date) -> dict:
        """``GET /campaigns/{id}/analytics-by-date`` for ``[start_date, end_date]``."""
        return self._object(f"/campaigns/{_path_id(campaign_id)}/analytics-by-date",
                            {"start_date": start_date.isoformat(), "end_date": end_date.isoformat()})

    def fetch_runway(self, as_of: dt.date, window_days: int = WINDOW_DAYS) -> RunwaySnapshot:
        """Every ACTIVE campaign's queue (``campaign_lead_stats.notStarted``) and unique sends over
        ``[as_of − window_days + 1, as_of]`` (``unique_sent_count``). Other statuses are skipped
        without further requests.

        Raises the ``SmartleadError`` subclasses (auth, rate limit, unavailable, bad response …).
        """
        start = as_of - dt.timedelta(days=window_days - 1)
        rows = []
        for c in self.campaigns():
            status = str(c.get("status") or "").strip().upper()
            if status != COUNTED_STATUS:
                continue
            cid = c["id"]
            totals = self.campaign_analytics(cid)
            stats = totals.get("campaign_lead_stats")
            if not isinstance(stats, dict):
                raise SmartleadBadResponse(f"Smartlead analytics of campaign {self._clean(str(cid))} has no "
                                           "'campaign_lead_stats'")
            queued = _count(stats.get("notStarted"), f"campaign {cid} campaign_lead_stats.notStarted", self._clean)
            window = self.analytics_by_date(cid, start, as_of)
            sent = _count(window.get("unique_sent_count"), f"campaign {cid} unique_sent_count", self._clean)
            rows.append({
                "campaign_id": str(cid),
                "campaign_name": self._clean(str(c.get("name") or totals.get("name") or "")),
                "status": status,
                "queued_lead_count": queued,
                "sent_14d_count": sent,
                "runway_days": runway_days(queued, sent, window_days),
            })
        log.info("Smartlead: %d active campaign(s) read", len(rows))
        return RunwaySnapshot(_campaigns_frame(rows), start, as_of, dt.datetime.now(dt.timezone.utc))

    # ------------------------------------------------------------------ HTTP

    def _object(self, path: str, params: Mapping[str, str]) -> dict:
        payload = self._get_json(path, params)
        if not isinstance(payload, dict):
            raise SmartleadBadResponse(f"Smartlead {_template(path)} returned JSON {type(payload).__name__}, "
                                       "expected an object")
        return payload

    def _get_json(self, path: str, params: Mapping[str, str]) -> Any:
        headers = {"Accept": "application/json", "User-Agent": "pulse-smartlead/1"}
        with httpx.Client(timeout=httpx.Timeout(self.timeout_s), follow_redirects=False, headers=headers) as http:
            response = self._get_with_retries(http, self.base_url + path, {**params, "api_key": self._api_key},
                                              lambda state: self._log_retry(state, path))
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise SmartleadBadResponse(
                f"Smartlead {_template(path)} returned a body that is not JSON ({len(response.content)} bytes)",
                status=response.status_code,
            ) from None

    def _on_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise SmartleadAuthError(
                f"Smartlead refused the API key (HTTP {status}): check or replace PULSE_SMARTLEAD_API_KEY.",
                status=status)
        path = response.request.url.path[len(httpx.URL(self.base_url).path.rstrip("/")):]
        raise SmartleadHTTPError(f"Smartlead {_template(path)} returned HTTP {status}{self._body_hint(response)}",
                                 status=status)

    def _log_retry(self, retry_state: RetryCallState, path: str) -> None:
        what, wait = self._retry_text(retry_state)
        log.warning("Smartlead %s failed (%s); attempt %d/%d, retrying in %.2f s",
                    _template(path), what, retry_state.attempt_number, self.max_attempts, wait)

    def _clean(self, text: str) -> str:
        return redact(sanitize_message(text, self._secrets))


# --------------------------------------------------------------------------- helpers


def _check_base_url(base_url: str, secrets: tuple[str, ...]) -> str:
    try:
        url = httpx.URL(str(base_url).strip())
    except Exception:  # noqa: BLE001
        raise SmartleadConfigError("Smartlead base URL is not a valid URL") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise SmartleadConfigError("Smartlead base URL must be an https:// URL with a host")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise SmartleadConfigError("Smartlead base URL must use https:// (http is only allowed for localhost)")
    if url.userinfo or url.query or url.fragment:
        raise SmartleadConfigError("Smartlead base URL must not carry credentials, a query or a fragment")
    text = str(url).rstrip("/")
    if any(s in text for s in secrets):
        raise SmartleadConfigError("Smartlead base URL must not contain the API key")
    return text


def _path_id(campaign_id: Any) -> str:
    text = str(campaign_id).strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text):
        raise SmartleadBadResponse("Smartlead campaign id is not a plain identifier")
    return text


def _template(path: str) -> str:
    """``/campaigns/123/analytics`` → ``/campaigns/{id}/analytics`` (for messages)."""
    return re.sub(r"^/campaigns/[^/]+", "/campaigns/{id}", path)


def _count(value: Any, what: str, clean: Callable[[str], str]) -> int:
    """A count sent as a number or a numeric string (``"247"``, ``"247.0"``, ``247``) → int;
    missing or empty → 0; anything else → ``SmartleadBadResponse``."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise SmartleadBadResponse(f"Smartlead {clean(what)} is not a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise SmartleadBadResponse(f"Smartlead {clean(what)} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise SmartleadBadResponse(f"Smartlead {clean(what)} is not a count")
    return int(number)


def _campaigns_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    rows = sorted(rows, key=lambda r: (r["campaign_name"].lower(), r["campaign_id"]))
    col = {c: [r[c] for r in rows] for c in CAMPAIGN_COLUMNS}
    return pd.DataFrame({
        "campaign_id": pd.Series(col["campaign_id"], dtype="str"),
        "campaign_name": pd.Series(col["campaign_name"], dtype="str"),
        "status": pd.Series(col["status"], dtype="str"),
        "queued_lead_count": pd.Series(col["queued_lead_count"], dtype="int64"),
        "sent_14d_count": pd.Series(col["sent_14d_count"], dtype="int64"),
        "runway_days": pd.Series([math.nan if v is None else v for v in col["runway_days"]], dtype="float64"),
    })
