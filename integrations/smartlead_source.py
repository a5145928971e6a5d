"""Smartlead as a Pulse source: settings in, the ``lead_queue_runway_days`` frames out.

Frames (see the catalog's ``lead_queue_runway_days``):

- ``api/smartlead/lead_queue_runway_days``: one row — ``value`` (days; NaN when nothing was sent
  in the last 14 days), ``queued_lead_count``, ``sent_14d_count``, ``sent_per_day``,
  ``active_campaign_count``.
- ``api/smartlead/campaigns``: one row per ACTIVE campaign (``campaign_id``, ``campaign_name``,
  ``status``, ``queued_lead_count``, ``sent_14d_count``, ``runway_days``).
"""
from __future__ import annotations

import pandas as pd

from data_access.config import Settings
from data_access.refresh import Fetched
from integrations.smartlead import SmartleadClient, lead_queue_runway

VALUE_FRAME = "api/smartlead/lead_queue_runway_days"
CAMPAIGNS_FRAME = "api/smartlead/campaigns"
CONNECT_HINT = "Set PULSE_SMARTLEAD_API_KEY to a Smartlead API key to see the lead queue runway here."


class NotConnected(RuntimeError):
    """Smartlead is not configured: nothing to refresh (not a failure)."""


def is_connected(settings: Settings) -> bool:
    return settings.smartlead_api_key is not None


def fetch_frames(settings: Settings) -> Fetched:
    """Fetch the ACTIVE campaigns' queues and 14-day sends once and build both frames.

    Raises ``NotConnected`` without an API key, and the client's ``SmartleadError`` subclasses on
    failure (the refresh keeps the last good frames then).
    """
    if not is_connected(settings):
        raise NotConnected(CONNECT_HINT)
    client = SmartleadClient(settings.smartlead_api_key.get_secret_value(), base_url=settings.smartlead_base_url,
                             timeout_s=settings.smartlead_timeout_s)
    snap = client.fetch_runway(settings.today())
    value = pd.DataFrame([lead_queue_runway(snap)])
    messages = [] if len(snap.campaigns) else ["Smartlead has no ACTIVE campaign: the runway has no value"]
    return Fetched({VALUE_FRAME: value, CAMPAIGNS_FRAME: snap.campaigns}, messages)
