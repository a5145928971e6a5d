"""The demo company's support desk: Zendesk tickets and the survey responses (issue 13).

``support_frames(customers, clock, scale, seed)`` returns ``{"zendesk": {table: frame}, "surveys":
{"response": frame}}`` with exactly the ``schema.TABLES`` columns, consistent with the demo's
QuickBooks customers (one Zendesk organization per customer, two end-users each). One support
schedule (Mon–Fri 09:00–17:00 Eastern, the company's time zone) with US holidays; ticket times are
drawn in business time of that schedule and mapped to wall-clock times through a numpy calendar
(``_Calendar``), so first replies and resolutions meet their priority's SLA targets most of the
time and breach them sometimes. Sizes grow linearly with ``scale`` (≈ 5,000 tickets at scale 1,
≈ 1M at 200); everything is vectorised (no loop per ticket) and deterministic per seed.

Times are integer seconds relative to the as-of date 00:00 UTC, like ``data_access.demo``.
"""
from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pandas as pd

SCHEDULE_ID = 360_000_310_001
SCHEDULE_TZ = "America/New_York"
SCHEDULE_TZ_ZENDESK = "Eastern Time (US & Canada)"
OPEN_HOUR, CLOSE_HOUR = 9, 17
BUSINESS_DAY_S = (CLOSE_HOUR - OPEN_HOUR) * 3600
TICKETS_PER_SCALE = 5_000
TICKET_HISTORY_DAYS = 900
PRIORITIES = ["urgent", "high", "normal", "low"]
PRIORITY_WEIGHTS = [0.06, 0.19, 0.55, 0.20]
FIRST_REPLY_TARGET_MIN = np.array([60, 120, 240, 480])  # as sql/intermediate/support_sla_targets.sql
RESOLUTION_TARGET_MIN = np.array([240, 1440, 4320, 7200])
GROUPS = [(360_000_000_101, "Brand Support"), (360_000_000_102, "Venue Support"), (360_000_000_103, "Billing")]
SUBJECTS = ["Campaign report missing", "Invoice question", "Change event date", "Ambassador no-show",
            "Sampling kit not delivered", "Update billing contact", "Venue access problem",
            "Request campaign recap", "Refund request", "Dashboard login issue", "Add a new location",
            "Contract spend balance"]
CSAT_WEIGHTS = [0.04, 0.05, 0.09, 0.30, 0.52]  # scores 1…5
NPS_WEIGHTS = [0.01, 0.01, 0.01, 0.02, 0.02, 0.03, 0.05, 0.12, 0.23, 0.25, 0.25]  # scores 0…10
COMMENTS = {1: "Nobody got back to us.", 2: "Slow to resolve.", 3: "OK in the end.", 4: "Helpful team.",
            5: "Fast and friendly, thank you!"}
DAY = 86_400


def _rng(seed: int, part: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def _us_dst(year: int) -> tuple[dt.datetime, dt.datetime]:
    """US daylight time (since 2007) in UTC: 2nd Sunday of March 07:00 → 1st Sunday of November 06:00."""
    march = dt.date(year, 3, 1)
    start = march + dt.timedelta(days=(6 - march.weekday()) % 7 + 7)
    nov = dt.date(year, 11, 1)
    end = nov + dt.timedelta(days=(6 - nov.weekday()) % 7)
    return dt.datetime(start.year, start.month, start.day, 7), dt.datetime(end.year, end.month, end.day, 6)


def _holidays(years: range) -> list[tuple[str, dt.date]]:
    """New Year's Day, Independence Day, Thanksgiving (4th Thursday of November), Christmas Day."""
    out = []
    for y in years:
        nov = dt.date(y, 11, 1)
        thanksgiving = nov + dt.timedelta(days=(3 - nov.weekday()) % 7 + 21)
        out += [("New Year's Day", dt.date(y, 1, 1)), ("Independence Day", dt.date(y, 7, 4)),
                ("Thanksgiving", thanksgiving), ("Christmas Day", dt.date(y, 12, 25))]
    return out


class _Calendar:
    """The schedule's business intervals as UTC seconds (relative to the as-of date), and the maps
    between wall-clock time and business time (seconds of business time since the first interval)."""

    def __init__(self, as_of: dt.date, first_day: int, last_day: int, holidays: list[dt.date]):
        origin = np.datetime64(as_of.isoformat(), "D")
        dates = origin + np.arange(first_day, last_day + 1).astype("timedelta64[D]")
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        keep = (weekday < 5) & ~np.isin(dates, np.array(holidays, dtype="datetime64[D]"))
        local_open = pd.DatetimeIndex(dates[keep].astype("datetime64[s]") + np.timedelta64(OPEN_HOUR * 3600, "s"))
        utc_open = local_open.tz_localize(SCHEDULE_TZ).tz_convert("UTC").tz_localize(None)
        self.starts = ((utc_open.values - origin.astype("datetime64[ns]")) // np.timedelta64(1, "s")).astype(np.int64)

    def position(self, t: np.ndarray) -> np.ndarray:
        """Business seconds from the first interval's start to wall-clock times ``t``."""
        i = np.searchsorted(self.starts, t, side="right") - 1
        within = np.clip(t - self.starts[np.maximum(i, 0)], 0, BUSINESS_DAY_S)
        return np.where(i < 0, 0, np.maximum(i, 0) * BUSINESS_DAY_S + within)

    def time_at(self, b: np.ndarray) -> np.ndarray:
        """The wall-clock time at business position ``b`` (the inverse of ``position``)."""
        b = np.asarray(b, dtype=np.int64)
        i = np.minimum(b // BUSINESS_DAY_S, len(self.starts) - 1)
        return self.starts[i] + (b - i * BUSINESS_DAY_S)


def _ts(clock, secs) -> np.ndarray:
    return clock.ts(np.asarray(secs, dtype=np.int64))


def support_frames(customers: pd.DataFrame, clock, scale: float, seed: int) -> dict[str, dict[str, pd.DataFrame]]:
    """Zendesk and survey tables of the demo company.

    Args:
        customers: the demo's ``quickbooks.customer`` frame (``id``, ``display_name``, ``active``).
        clock: the demo's ``_Clock`` (as-of date, Fivetran's last sync at 23:50 UTC that day).
        scale: the demo's size factor; tickets ≈ 5,000 × scale over the last 900 days.
        seed: random seed.

    Returns ``{"zendesk": {...}, "surveys": {"response": ...}}``; nothing happens after the last sync.
    """
    from data_access.demo import _frame

    rng = _rng(seed, "support")
    as_of, sync = clock.as_of, clock.sync
    years = range(as_of.year - 4, as_of.year + 2)
    holidays = _holidays(years)
    cal = _Calendar(as_of, -TICKET_HISTORY_DAYS - 60, 60, [d for _, d in holidays])

    # organizations and users ----------------------------------------------------------------
    cust_id = customers["id"].to_numpy(dtype=np.int64)
    cust_name = customers["display_name"].to_numpy(dtype=object)
    active = customers["active"].to_numpy(dtype=bool)
    n_org = len(cust_id)
    org_id = 370_000_000_000 + cust_id
    t0 = -(TICKET_HISTORY_DAYS + 90) * DAY
    n_agents = max(4, int(round(6 * np.sqrt(scale))))
    agent_names = [f"{f} {l}" for f, l in zip(
        rng.choice(["Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonah", "Kara", "Liam"],
                   n_agents), rng.choice(["Reyes", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Patel", "Novak",
                                          "Silva", "Brennan", "Kowalski"], n_agents))]
    agent_id = 1_500_000_000 + np.arange(n_agents + 1)  # the last one is the admin
    end_user_id = 1_600_000_000 + np.arange(2 * n_org)
    slug = pd.Series(cust_name).str.lower().str.replace(r"[^a-z0-9]+", "", regex=True).to_numpy(dtype=object)
    end_user_email = np.array([f"{who}@{s}.com" for s in slug for who in ("ops", "marketing")], dtype=object)
    n_users = len(agent_id) + len(end_user_id)
    user = _frame("zendesk", "user", {
        "id": np.concatenate([agent_id, end_user_id]),
        "_fivetran_synced": _ts(clock, np.full(n_users, sync - 3600)),
        "active": True,
        "created_at": _ts(clock, np.full(n_users, t0)),
        "email": np.concatenate([np.array([f"{n.split()[0].lower()}@pulse-demo.com" for n in agent_names]
                                          + ["admin@pulse-demo.com"], dtype=object), end_user_email]),
        "name": np.concatenate([np.array(agent_names + ["Support Admin"], dtype=object),
                                np.repeat(cust_name, 2)]),
        "organization_id": np.concatenate([np.full(len(agent_id), -1), np.repeat(org_id, 2)]),
        "role": np.concatenate([np.array(["agent"] * n_agents + ["admin"], dtype=object),
                                np.full(len(end_user_id), "end-user", dtype=object)]),
        "suspended": False,
        "time_zone": SCHEDULE_TZ_ZENDESK,
        "updated_at": _ts(clock, np.full(n_users, t0)),
    })
    user["organization_id"] = user["organization_id"].mask(user["organization_id"] < 0)
    organization = _frame("zendesk", "organization", {
        "id": org_id, "_fivetran_synced": _ts(clock, np.full(n_org, sync - 3600)),
        "created_at": _ts(clock, np.full(n_org, t0)), "details": None,
        "external_id": cust_id.astype(str).astype(object),  # the QuickBooks customer id
        "group_id": None, "name": cust_name, "notes": None,
        "updated_at": _ts(clock, np.full(n_org, t0)),
        "url": np.array([f"https://pulse-demo.zendesk.com/api/v2/organizations/{i}.json" for i in org_id], dtype=object),
    })
    group = _frame("zendesk", "group", {
        "id": np.array([g[0] for g in GROUPS]), "_fivetran_deleted": False,
        "_fivetran_synced": _ts(clock, np.full(len(GROUPS), sync - 3600)),
        "created_at": _ts(clock, np.full(len(GROUPS), t0)), "name": np.array([g[1] for g in GROUPS], dtype=object),
        "updated_at": _ts(clock, np.full(len(GROUPS), t0)),
        "url": np.array([f"https://pulse-demo.zendesk.com/api/v2/groups/{g[0]}.json" for g in GROUPS], dtype=object),
    })

    # tickets ---------------------------------------------------------------------------------
    n = max(50, int(round(TICKETS_PER_SCALE * scale)))
    first_b, last_b = cal.position(np.array([-TICKET_HISTORY_DAYS * DAY, sync]))
    in_hours = rng.random(n) < 0.7
    created = np.where(in_hours, cal.time_at(rng.integers(first_b, last_b, n)),
                       rng.integers(-TICKET_HISTORY_DAYS * DAY, sync, n))
    created = np.sort(created)
    prio = rng.choice(4, n, p=PRIORITY_WEIGHTS)
    weight = np.where(active, 3.0, 1.0)
    org = rng.choice(n_org, n, p=weight / weight.sum())
    requester = end_user_id[org * 2 + rng.integers(0, 2, n)]
    agent = rng.integers(0, n_agents, n)
    grp = rng.choice(len(GROUPS), n, p=[0.55, 0.30, 0.15])
    fc = cal.position(created)
    fr_delay = (FIRST_REPLY_TARGET_MIN[prio] * 60 * 0.3 * rng.lognormal(0, 0.8, n)).astype(np.int64)
    res_delay = np.maximum((RESOLUTION_TARGET_MIN[prio] * 60 * 0.3 * rng.lognormal(0, 0.7, n)).astype(np.int64),
                           fr_delay + 600)
    replied = np.maximum(cal.time_at(fc + fr_delay), created + 60)
    solved = np.maximum(cal.time_at(fc + res_delay), replied + 60)
    reopened = rng.random(n) < 0.06
    first_solve = np.maximum(cal.time_at(fc + res_delay // 2), replied + 30)
    reopen_at = first_solve + ((solved - first_solve) * rng.uniform(0.3, 0.8, n)).astype(np.int64)
    reopened &= reopen_at < solved
    is_replied, is_solved = replied <= sync, solved <= sync
    closed_at = solved + 4 * DAY
    is_closed = closed_at <= sync
    waiting = rng.choice(3, n, p=[0.6, 0.3, 0.1])  # unsolved replied tickets: open / pending / hold
    status = np.where(is_closed, "closed", np.where(is_solved, "solved", np.where(
        ~is_replied, "new", np.array(["open", "pending", "hold"], dtype=object)[waiting]))).astype(object)
    status = np.where(reopened & (reopen_at <= sync) & ~is_solved, "open", status)
    status = np.where(reopened & (first_solve <= sync) & (reopen_at > sync), "solved", status)
    ticket_id = 10_001 + np.arange(n)
    subject = np.array(SUBJECTS, dtype=object)[rng.integers(0, len(SUBJECTS), n)]
    last_event = np.where(is_closed, closed_at, np.where(is_solved, solved, np.where(is_replied, replied, created)))
    ticket = _frame("zendesk", "ticket", {
        "id": ticket_id, "_fivetran_synced": _ts(clock, np.minimum(last_event + 600, sync)),
        "assignee_id": agent_id[agent], "brand_id": 360_000_000_001, "created_at": _ts(clock, created),
        "description": subject, "due_at": None, "group_id": np.array([g[0] for g in GROUPS])[grp],
        "is_public": True, "organization_id": org_id[org],
        "priority": np.array(PRIORITIES, dtype=object)[prio], "recipient": "support@pulse-demo.com",
        "requester_id": requester, "status": status, "subject": subject, "submitter_id": requester,
        "ticket_form_id": 360_000_000_201, "type": "question", "updated_at": _ts(clock, last_event),
        "url": ("https://pulse-demo.zendesk.com/api/v2/tickets/" + pd.Series(ticket_id).astype(str) + ".json"),
        "via_channel": np.where(rng.random(n) < 0.8, "email", "web").astype(object),
    })

    # comments: the requester's description, sometimes a private note, the reply, a follow-up, solves
    note = rng.random(n) < 0.3
    follow = rng.random(n) < 0.5
    follow_at = replied + rng.integers(3600, DAY, n)
    parts = [
        (np.ones(n, bool), created, requester, True),
        (note, created + (replied - created) // 2, agent_id[agent], False),
        (np.ones(n, bool), replied, agent_id[agent], True),
        (follow & (follow_at < solved), follow_at, requester, True),
        (reopened, first_solve, agent_id[agent], True),
        (reopened, reopen_at, requester, True),
        (np.ones(n, bool), solved, agent_id[agent], True),
    ]
    c_ticket, c_at, c_user, c_public = [], [], [], []
    for mask, at, who, public in parts:
        m = mask & (at <= sync)
        c_ticket.append(ticket_id[m]); c_at.append(at[m]); c_user.append(who[m]); c_public.append(np.full(m.sum(), public))
    c_ticket, c_at, c_user, c_public = map(np.concatenate, (c_ticket, c_at, c_user, c_public))
    nc = len(c_ticket)
    ticket_comment = _frame("zendesk", "ticket_comment", {
        "id": 20_000_001 + np.arange(nc), "_fivetran_synced": _ts(clock, np.minimum(c_at + 600, sync)),
        "body": np.where(c_public, "Thanks, we are on it.", "Internal note: checking with the venue.").astype(object),
        "created": _ts(clock, c_at), "facebook_comment": False, "public": c_public, "ticket_id": c_ticket,
        "tweet": False, "user_id": c_user, "voice_comment": False,
    })

    # field history: status changes, priority, satisfaction ratings
    rated = is_solved & (rng.random(n) < 0.4)
    rated_at = solved + rng.integers(3600, 2 * DAY, n)
    rated &= rated_at <= sync
    rating = np.where(rng.random(n) < 0.88, "good", "bad").astype(object)
    hold_at = replied + 300
    rows = [
        (np.ones(n, bool), "status", created, np.full(n, "new", dtype=object)),
        (np.ones(n, bool), "priority", created, np.array(PRIORITIES, dtype=object)[prio]),
        (np.ones(n, bool), "status", replied, np.full(n, "open", dtype=object)),
        (~is_solved & (waiting > 0) & ~reopened, "status", hold_at,
         np.array(["open", "pending", "hold"], dtype=object)[waiting]),
        (reopened, "status", first_solve, np.full(n, "solved", dtype=object)),
        (reopened, "status", reopen_at, np.full(n, "open", dtype=object)),
        (np.ones(n, bool), "status", solved, np.full(n, "solved", dtype=object)),
        (np.ones(n, bool), "status", closed_at, np.full(n, "closed", dtype=object)),
        (rated, "satisfaction_score", solved + 60, np.full(n, "offered", dtype=object)),
        (rated, "satisfaction_score", rated_at, rating),
    ]
    h_ticket, h_field, h_at, h_value = [], [], [], []
    for mask, field, at, value in rows:
        m = mask & (at <= sync)
        h_ticket.append(ticket_id[m]); h_field.append(np.full(m.sum(), field, dtype=object))
        h_at.append(at[m]); h_value.append(value[m])
    h_ticket, h_field, h_at, h_value = map(np.concatenate, (h_ticket, h_field, h_at, h_value))
    ticket_field_history = _frame("zendesk", "ticket_field_history", {
        "field_name": h_field, "ticket_id": h_ticket, "updated": _ts(clock, h_at),
        "_fivetran_synced": _ts(clock, np.minimum(h_at + 600, sync)), "user_id": None, "value": h_value,
    })

    # the schedule, its holidays and time zone -----------------------------------------------
    days = np.arange(1, 6)  # Monday … Friday, minutes from Sunday 00:00 local
    start = days * 1440 + OPEN_HOUR * 60
    schedule = _frame("zendesk", "schedule", {
        "end_time": start + (CLOSE_HOUR - OPEN_HOUR) * 60, "id": SCHEDULE_ID, "start_time": start,
        "_fivetran_deleted": False, "_fivetran_synced": _ts(clock, np.full(5, sync - 3600)),
        "end_time_utc": start + (CLOSE_HOUR - OPEN_HOUR) * 60 + 300, "name": "Support (Mon–Fri 9–5 ET)",
        "start_time_utc": start + 300, "time_zone": SCHEDULE_TZ_ZENDESK, "created_at": _ts(clock, np.full(5, t0)),
    })
    schedule_holiday = _frame("zendesk", "schedule_holiday", {
        "id": 1_163_001 + np.arange(len(holidays)), "schedule_id": SCHEDULE_ID, "_fivetran_deleted": False,
        "_fivetran_synced": _ts(clock, np.full(len(holidays), sync - 3600)),
        "end_date": np.array([d for _, d in holidays], dtype="datetime64[D]"),
        "name": np.array([h for h, _ in holidays], dtype=object),
        "start_date": np.array([d for _, d in holidays], dtype="datetime64[D]"),
    })
    time_zone = _frame("zendesk", "time_zone", {
        "time_zone": np.array([SCHEDULE_TZ_ZENDESK], dtype=object),
        "_fivetran_synced": _ts(clock, np.array([sync - 3600])), "standard_offset": "-05:00"})
    dst = [_us_dst(y) for y in years]
    daylight_time = _frame("zendesk", "daylight_time", {
        "time_zone": np.full(len(dst), SCHEDULE_TZ_ZENDESK, dtype=object), "year": np.array(list(years)),
        "_fivetran_synced": _ts(clock, np.full(len(dst), sync - 3600)),
        "daylight_end_utc": np.array([e for _, e in dst], dtype="datetime64[s]"), "daylight_offset": 1,
        "daylight_start_utc": np.array([s for s, _ in dst], dtype="datetime64[s]"),
    })

    # surveys: CSAT after some solved tickets, NPS from customers through the quarters --------
    csat = is_solved & (rng.random(n) < 0.3)
    csat_at = solved + rng.integers(2 * 3600, 3 * DAY, n)
    csat &= csat_at <= sync
    csat_score = rng.choice(5, n, p=CSAT_WEIGHTS) + 1
    n_nps = max(20, int(round(0.5 * n_org * TICKET_HISTORY_DAYS / 91)))
    nps_cust = rng.choice(n_org, n_nps, p=weight / weight.sum())
    nps_at = rng.integers(-TICKET_HISTORY_DAYS * DAY, sync, n_nps)
    nps_score = rng.choice(11, n_nps, p=NPS_WEIGHTS)
    r_cust = np.concatenate([cust_id[org[csat]], cust_id[nps_cust]])
    r_who = np.concatenate([requester[csat], end_user_id[nps_cust * 2 + rng.integers(0, 2, n_nps)]])
    r_score = np.concatenate([csat_score[csat], nps_score])
    r_scale = np.array(["csat_5"] * int(csat.sum()) + ["nps_10"] * n_nps, dtype=object)
    r_at = np.concatenate([csat_at[csat], nps_at])
    commented = rng.random(len(r_score)) < 0.35
    band = np.where(r_scale == "nps_10", np.clip((r_score + 1) // 2, 1, 5), r_score)  # 1…5
    r_comment = np.where(commented, np.array([None] + [COMMENTS[k] for k in range(1, 6)], dtype=object)[band], None)
    response = _frame("surveys", "response", {
        "id": 1 + np.arange(len(r_score)), "respondent": end_user_email[r_who - end_user_id[0]],
        "customer_id": r_cust,
        "channel": np.where(r_scale == "nps_10", "email", np.where(rng.random(len(r_score)) < 0.7, "email", "in_app")
                            ).astype(object),
        "score": r_score, "scale": r_scale, "comment": r_comment, "submitted_at": _ts(clock, r_at),
    })
    return {
        "zendesk": {"ticket": ticket, "ticket_comment": ticket_comment, "ticket_field_history": ticket_field_history,
                    "user": user, "group": group, "organization": organization, "schedule": schedule,
                    "schedule_holiday": schedule_holiday, "time_zone": time_zone, "daylight_time": daylight_time},
        "surveys": {"response": response},
    }
