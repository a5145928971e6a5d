"""What the JSON-over-HTTPS clients share (``integrations.simplefin``, ``integrations.smartlead``):
the error base, the retry policy of ``shared/api_contracts.md`` §0 and the GET attempt that sorts a
response into done / retry / the caller's to map.

A client mixes in ``RetryingGet`` and sets ``api_name`` (for messages), ``unavailable_error`` and
``rate_limited_error`` (its own error classes), and has ``timeout_s``, ``max_attempts``,
``backoff_max_s``, ``_sleep``, ``_backoff`` (a tenacity wait) and ``_clean(text)`` (its sanitizer).
"""
from __future__ import annotations

import datetime as dt
import email.utils
import math
from collections.abc import Callable, Mapping
import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as delay-seconds or an HTTP-date → seconds (≥ 0), else ``None``."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - dt.datetime.now(dt.timezone.utc)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


class ApiError(Exception):
    """Base of a client's errors: ``kind`` (short machine-readable class of failure for the status
    page), ``message`` (sanitized: no credentials) and ``status`` (the HTTP status, else ``None``)."""

    kind = "error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.message = message
        self.status = status
        super().__init__(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, status={self.status!r}, message={self.message!r})"


class Transient(Exception):
    """Internal: a failure worth retrying. ``description`` is already sanitized."""

    def __init__(self, description: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.retry_after = retry_after


class RetryingGet:
    """GET with retries: 429 waits ``Retry-After`` (or the backoff), 5xx / timeouts / transport errors
    back off exponentially with jitter, up to ``max_attempts``; nothing else is retried."""

    api_name = "the API"
    unavailable_error: type[ApiError] = ApiError
    rate_limited_error: type[ApiError] = ApiError
    rate_limit_note = ""  # appended to the "Retry-After too long" message

    def _retrying(self, before_sleep: Callable[[RetryCallState], None]) -> Retrying:
        return Retrying(stop=stop_after_attempt(self.max_attempts), wait=self._wait,
                        retry=retry_if_exception_type(Transient), sleep=self._sleep, before_sleep=before_sleep,
                        reraise=True)

    def _get_with_retries(self, http: httpx.Client, url: str, params: Mapping[str, str],
                          before_sleep: Callable[[RetryCallState], None]) -> httpx.Response:
        """The first response that is not retried (200, or a status the caller maps: ``_on_status``).

        Raises: ``rate_limited_error`` / ``unavailable_error`` when the retries run out."""
        try:
            return self._retrying(before_sleep)(self._attempt, http, url, params)
        except Transient as exc:
            cls = self.rate_limited_error if exc.status == 429 else self.unavailable_error
            raise cls(f"{self.api_name} unavailable after {self.max_attempts} attempt(s): {exc.description}",
                      status=exc.status) from None

    def _attempt(self, http: httpx.Client, url: str, params: Mapping[str, str]) -> httpx.Response:
        try:
            response = http.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise Transient(f"timeout after {self.timeout_s:g} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise Transient(f"transport error {type(exc).__name__}: {self._clean(str(exc))}") from None
        status = response.status_code
        if status == 200:
            return response
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None and retry_after > self.backoff_max_s:
                raise self.rate_limited_error(
                    f"{self.api_name} rate limit (429): asked to retry after {retry_after:g} s, longer than the "
                    f"allowed {self.backoff_max_s:g} s{self.rate_limit_note}", status=429)
            raise Transient("HTTP 429 rate limited", status=429, retry_after=retry_after)
        if status in RETRYABLE_STATUS:
            raise Transient(f"HTTP {status}", status=status)
        self._on_status(response)
        return response

    def _on_status(self, response: httpx.Response) -> None:
        """Raise the client's error for a non-retried status other than 200 (auth, payment, …)."""
        raise NotImplementedError

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(retry_state))

    @staticmethod
    def _retry_text(retry_state: RetryCallState) -> tuple[str, float]:
        """What failed (sanitized) and how long until the next try, for the retry log line."""
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        what = exc.description if isinstance(exc, Transient) else type(exc).__name__
        return what, (retry_state.next_action.sleep if retry_state.next_action else 0.0)

    def _body_hint(self, response: httpx.Response) -> str:
        try:
            text = response.text
        except Exception:  # noqa: BLE001 - undecodable body: no hint
            return ""
        text = self._clean(text)[:200]
        return f": {text}" if text else ""

    def _clean(self, text: str) -> str:  # pragma: no cover - every client defines it
        raise NotImplementedError

