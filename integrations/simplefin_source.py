"""SimpleFIN as a Pulse source: settings in, the ``cash_position`` frames out.

Frames (see the catalog's ``cash_position``):

- ``api/simplefin/cash_position``: one row — ``value`` (USD, Σ balances of USD accounts),
  ``account_count``, ``oldest_balance_age_hours``, ``partial_errors``.
- ``api/simplefin/accounts``: one row per USD account (``account_id``, ``account_name``,
  ``institution``, ``currency``, ``balance_usd`` / ``available_balance_usd`` as Decimal,
  ``balance_date`` UTC).
"""
from __future__ import annotations

import pandas as pd

from data_access.config import Settings
from data_access.refresh import Fetched
from integrations.simplefin import SimpleFinClient, cash_position

VALUE_FRAME = "api/simplefin/cash_position"
ACCOUNTS_FRAME = "api/simplefin/accounts"
CONNECT_HINT = ("Set PULSE_SIMPLEFIN_ACCESS_URL to a SimpleFIN Bridge Access URL "
                "to see bank balances here.")


class NotConnected(RuntimeError):
    """SimpleFIN is not configured: nothing to refresh (not a failure)."""


def is_connected(settings: Settings) -> bool:
    return settings.simplefin_access_url is not None


def fetch_frames(settings: Settings) -> Fetched:
    """Fetch balances once and build both frames.

    Raises ``NotConnected`` without an Access URL, and the client's ``SimpleFinError``
    subclasses on failure (the refresh keeps the last good frames then).
    """
    if not is_connected(settings):
        raise NotConnected(CONNECT_HINT)
    client = SimpleFinClient(settings.simplefin_access_url.get_secret_value(), timeout_s=settings.simplefin_timeout_s,
                             account_ids=settings.simplefin_account_ids)
    snap = client.fetch_balances()
    value = pd.DataFrame([cash_position(snap)])
    return Fetched({VALUE_FRAME: value, ACCOUNTS_FRAME: snap.accounts}, list(snap.errors) + list(snap.notices))
