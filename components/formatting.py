"""Number formatting for cards, tables, charts and tooltips (pure functions)."""
from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

UNIT_SUFFIX = {"usd": "", "ratio": "", "multiple": "×", "days": " days", "count": "", "hours": " h", "score": ""}


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def usd(v: float | None) -> str:
    """USD, compact: ``$1.24M``, ``$842K``, ``$950``, ``-$12.5K``; ``—`` when missing."""
    if _missing(v):
        return "—"
    sign = "-" if v < 0 else ""
    a = abs(v)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            x = a / div
            digits = 2 if x < 10 else 1 if x < 100 else 0
            return f"{sign}${x:.{digits}f}{suffix}"
    return f"{sign}${a:,.0f}"


def usd_input(v: float | None) -> str | None:
    """USD in full, as a form field shows it: ``2,000,000``, ``1,234.50`` (cents only when there are
    some), ``-12``; ``None`` (a blank field) when missing. ``target_form.parse_amount`` reads it back."""
    if _missing(v) or not math.isfinite(v):
        return None
    cents = round(v, 2) + 0.0  # + 0.0: no "-0"
    return f"{cents:,.0f}" if cents == int(cents) else f"{cents:,.2f}"


def value(v: float | None, unit: str) -> str:
    """A metric value in its unit: ``$1.24M``, ``34.2%``, ``3.1×``, ``42 days``, ``1,234``."""
    if _missing(v):
        return "—"
    if unit == "usd":
        return usd(v)
    if unit == "ratio":
        return f"{v * 100:.1f}%"
    if unit == "multiple":
        return f"{v:.1f}×"
    if unit == "days":
        return f"{v:.0f} days" if abs(v) != 1 else "1 day"
    if unit == "hours":
        return f"{v:.1f} h"
    if unit == "score":
        return f"{v:.0f}"
    return f"{v:,.0f}"


def target_text(target: float, unit: str, direction: str) -> str:
    """``Target ≥ 3.0×`` / ``Target ≤ 30.0%``."""
    return f"Target {'≥' if direction == 'higher' else '≤'} {value(target, unit)}"


def day_text(day: dt.date) -> str:
    """``Oct 5, 2026``."""
    return f"{day:%b} {day.day}, {day.year}"


def delta_text(change: float | None, unit: str, period_label: str) -> str | None:
    """A card's change vs a previous period (``data_access.trends.change``): ``▲ 2.1 pts vs last
    month`` (ratio: percentage points), ``▼ 4.3% vs last week`` (USD: relative), ``▲ 3 vs …``
    (count), ``▼ 1.5 days`` (days), ``▲ 0.4× `` (multiple); ``No change vs …`` when it rounds to
    zero; ``None`` (no delta shown) when there is no previous value."""
    if _missing(change):
        return None
    shown = {"ratio": f"{abs(change):.1f} pts", "usd": f"{abs(change):.1f}%", "multiple": f"{abs(change):.1f}×",
             "days": f"{abs(change):.1f} days", "count": f"{abs(change):,.0f}",
             "hours": f"{abs(change):.1f} h", "score": f"{abs(change):.1f} pts"}[unit]
    if float(shown.split()[0].rstrip("%×").replace(",", "")) == 0:
        return f"No change vs {period_label}"
    return f"{'▲' if change > 0 else '▼'} {shown} vs {period_label}"


def delta_tone(change: float | None, direction: str) -> str:
    """``good`` when a change moves the metric's way (``direction`` higher | lower), ``bad`` when it
    moves against it, ``flat`` for no change or none."""
    if _missing(change) or change == 0:
        return "flat"
    return "good" if (change > 0) == (direction == "higher") else "bad"


def period_text(months) -> str | None:
    """The span of ``months`` (dates, first of month; missing ignored): ``Nov 2026``, ``Jan–Nov 2026``,
    ``Dec 2025–Nov 2026``; ``None`` when there is none."""
    stamps = [dt.date(m.year, m.month, 1) for m in months if m is not None and m == m]  # m == m: not NaT/NaN
    if not stamps:
        return None
    a, b = min(stamps), max(stamps)
    if a == b:
        return f"{b:%b %Y}"
    return f"{a:%b}–{b:%b %Y}" if a.year == b.year else f"{a:%b %Y}–{b:%b %Y}"


def plural(n: int, word: str) -> str:
    """``1 row``, ``0 rows``, ``1,234 rows``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def column_kind(name: str) -> str:
    """How a drill-down column is formatted, from its name's suffix (tidy naming convention):
    usd | ratio | count | multiple | days | date | id (an identifier: text, never 22,154) | text."""
    if name.endswith("_usd"):
        return "usd"
    if name.endswith("_id"):
        return "id"
    if name in ("share", "win_rate", "probability") or name.endswith(("_rate", "_pct", "_ratio")):
        return "ratio"
    if name.endswith("_count"):
        return "count"
    if name.endswith("_multiple"):
        return "multiple"
    if name.endswith("_days"):
        return "days"
    if name.endswith("_hours"):
        return "hours"
    if name.endswith(("_date", "month", "week_start")):
        return "date"
    return "text"


def column_title(name: str) -> str:
    """Human header for a tidy column name: ``amount_usd`` → ``Amount (USD)``."""
    special = {"owner_name": "Rep", "owner_id": "Rep id", "share": "Share", "weight_share_pct": "Weight share", "stage_label": "Stage",
               "week_start": "Week of", "close_week": "Close week", "close_timing": "Close timing", "deal_name": "Deal", "customer_name": "Customer",
               "company_name": "Company", "age_days": "Age (days)", "cycle_days": "Cycle (days)",
               "rep_target_rate": "Target", "rep_target_usd": "Target (USD)", "rep_target_days": "Target (days)",
               "rep_target_count": "Target (count)", "rep_target_multiple": "Target (×)", "vs_target": "Status",
               "won_qtd_usd": "Won QTD (USD)", "open_deal_count": "Open deals", "nps": "NPS",
               "csat_score": "CSAT score"}
    if name in special:
        return special[name]
    for suffix, unit in (("_usd", " (USD)"), ("_count", ""), ("_days", " (days)"), ("_multiple", " (×)"),
                         ("_hours", " (h)")):
        if name.endswith(suffix):
            base = name[: -len(suffix)].replace("_", " ").capitalize()
            return base + (unit if suffix != "_count" else " (count)")
    return name.replace("_", " ").capitalize()


def as_of_text(as_of: dt.date | None, refreshed_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """``As of Nov 21, 2026 · updated 2 h ago``; ``Waiting for the first refresh`` before there is data."""
    if as_of is None:
        return "Waiting for the first refresh"
    text = f"As of {as_of:%b %-d, %Y}"
    if refreshed_at is not None:
        text += f" · updated {age_text(refreshed_at, now)}"
    return text


def age_text(then: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, for people: ``just now``, ``12 min ago``, ``2 h ago``, ``3 days ago``."""
    if then is None:
        return "never"
    now = now or dt.datetime.now(dt.timezone.utc)
    seconds = max(0, (now - then).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600:.0f} h ago"
    return f"{seconds // 86400:.0f} days ago"


def local_time(at: dt.datetime, tz: str) -> str:
    """``Nov 21 14:05 EST`` in the company time zone."""
    return f"{at.astimezone(ZoneInfo(tz)):%b %-d %H:%M %Z}"


def sla_text(minutes: int) -> str:
    """A freshness SLA for people: ``2 h``, ``26 h``, ``45 min``."""
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"
