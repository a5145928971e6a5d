"""Slack incoming webhook client (threshold alerts).

    POST <webhook URL>   {"text": "...", "blocks": [...]}   Content-Type: application/json

Slack answers ``200`` with the body ``ok``; ``429`` with ``Retry-After`` (seconds) when rate
limited; ``400 invalid_payload`` / ``403 invalid_token`` / ``404 no_service`` (the webhook was
removed or never existed) / ``410 channel_is_archived`` for requests that will never work. Retries
(tenacity, exponential backoff with jitter): 429 (``Retry-After`` honoured up to ``backoff_max_s``),
5xx and transport errors; never the other 4xx.

The webhook URL is a credential: it is never logged, and no exception message or ``repr`` holds it.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from integrations.simplefin import parse_retry_after

log = logging.getLogger(__name__)


class SlackError(RuntimeError):
    """A message could not be posted. ``kind``: ``no_service`` (404: webhook gone), ``refused`` (other
    4xx: ``invalid_token``, ``channel_is_archived``, ``invalid_payload``), ``rate_limited`` (429 past
    the allowed wait or on every attempt), ``unavailable`` (5xx, timeouts, transport errors)."""

    def __init__(self, message: str, kind: str, status: int | None = None):
        super().__init__(message)
        self.kind, self.status = kind, status


class _Transient(Exception):
    def __init__(self, what: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(what)
        self.what, self.status, self.retry_after = what, status, retry_after


class SlackWebhook:
    """Posts messages to one incoming webhook.

    Args:
        url: the webhook URL (secret). timeout_s: per request. attempts: tries per message.
        backoff_max_s: the longest wait between tries (a ``Retry-After`` above it is not waited for).
        sleep: how to wait (tests pass a recorder).
    """

    def __init__(self, url: str, timeout_s: float = 10.0, attempts: int = 4, backoff_max_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        self._url = url
        self.timeout_s, self.attempts, self.backoff_max_s, self._sleep = timeout_s, attempts, backoff_max_s, sleep

    def __repr__(self) -> str:
        return "SlackWebhook(<url hidden>)"

    def send(self, text: str, blocks: list | None = None) -> None:
        """Post ``text`` (the notification's plain text; ``blocks`` optional Block Kit). Returns on
        ``200 ok``; raises ``SlackError`` otherwise."""
        payload: dict = {"text": text}
        if blocks:
            payload["blocks"] = blocks
        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=self._wait,
                            retry=retry_if_exception_type(_Transient), sleep=self._sleep, reraise=True,
                            before_sleep=self._log_retry)
        try:
            retrying(self._post, payload)
        except _Transient as e:
            kind = "rate_limited" if e.status == 429 else "unavailable"
            raise SlackError(f"Slack webhook {e.what} after {self.attempts} attempts", kind, e.status) from None

    def _post(self, payload: dict) -> None:
        try:
            r = httpx.post(self._url, json=payload, timeout=self.timeout_s)
        except httpx.HTTPError as e:
            raise _Transient(type(e).__name__) from None  # the exception text may hold the URL
        if r.status_code == 200:
            return
        body = r.text.strip()[:100]
        if r.status_code == 429:
            wait = parse_retry_after(r.headers.get("retry-after"))
            if wait is not None and wait > self.backoff_max_s:
                raise SlackError(f"Slack rate limit (429): asked to wait {wait:g} s, more than {self.backoff_max_s:g} s",
                                 "rate_limited", 429)
            raise _Transient("HTTP 429 rate limited", 429, wait)
        if r.status_code >= 500:
            raise _Transient(f"HTTP {r.status_code}", r.status_code)
        if r.status_code == 404:
            raise SlackError(f"Slack webhook not found (404 {body or 'no_service'}): it was removed; "
                             "create a new one and set PULSE_SLACK_WEBHOOK_URL", "no_service", 404)
        raise SlackError(f"Slack refused the message ({r.status_code} {body})", "refused", r.status_code)

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(wait_exponential_jitter(initial=1, max=self.backoff_max_s)(retry_state))

    def _log_retry(self, retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        log.warning("Slack webhook failed (%s); attempt %d/%d", getattr(exc, "what", type(exc).__name__),
                    retry_state.attempt_number, self.attempts)
