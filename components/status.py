"""Status page pieces (pure builders): a frame's one message, the summary of frame states."""
from __future__ import annotations

import textwrap

from dash import html

from data_access.status import STATE_ORDER

STATE_BADGE = {"failing": ("Failing", "danger"), "stale": ("Stale", "warning"), "never": ("Never refreshed", "secondary"),
               "ok": ("OK", "success"), "not_connected": ("Not connected", "light")}  # state → (label, colour)
MESSAGE_SHOWN = 140  # characters of a long message shown before "more" (cut at a word, never inside one)


def message(frame: dict):
    """The frame's one message (``data_access.status.state_message``): whole when short, otherwise
    its start cut at a word with the whole text behind a "more" expander."""
    text = frame["message"]
    if not text:
        return None
    color = {"failing": "text-danger", "stale": "text-warning-emphasis"}.get(frame["state"], "text-muted")
    if len(text) <= MESSAGE_SHOWN:
        return html.Div(text, className=color)
    return html.Details([html.Summary(textwrap.shorten(text, MESSAGE_SHOWN, placeholder=" … more")),
                         html.Div(text, className="mt-1 status-message-full")], className=color)


def summary(frames: list[dict]) -> str:
    """``2 failing · 1 stale · 1 not connected · 50 OK`` (states with frames, problems first)."""
    counts = {}
    for f in frames:
        counts[f["state"]] = counts.get(f["state"], 0) + 1
    return " · ".join(f"{counts[s]} {STATE_BADGE[s][0].lower() if s != 'ok' else 'OK'}"
                      for s in STATE_ORDER if s in counts)
