"""The demo company's rep activity (issue 13): HubSpot calls and emails on its deals, the parent
``engagement`` table of every engagement (meetings too), the engagement–contact associations and
the deals' contacts (``deal_contact``).

Consistent with the rest of the demo (``data_access.demo``): every live deal has one contact of
its company (``deal_contact``); its calls and emails (Poisson, mean ``CALLS_PER_DEAL`` /
``EMAILS_PER_DEAL``) fall between 30 days before the deal's creation (outreach that led to it)
and its close or the as-of date, are owned by the deal's rep (none for an unassigned deal, and
~``UNOWNED_SHARE`` more logged without an owner) and touch the deal's contact, as its meetings do.
~``CONNECTED_SHARE`` of calls connect (HubSpot's standard "Connected" outcome), ~``BOUNCED_SHARE``
of emails bounce and ~``REPLY_SHARE`` of the others get an incoming reply on their thread within
3 days. Vectorised with numpy (scale 200 ≈ 5M engagements); each part draws from its own
generator seeded by ``(seed, part)``, as ``demo`` does.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CALLS_PER_DEAL = 1.3
EMAILS_PER_DEAL = 1.6
UNOWNED_SHARE = 0.02
CONNECTED_SHARE = 0.35
BOUNCED_SHARE = 0.03
REPLY_SHARE = 0.25
LEAD_DAYS = 30  # outreach starts up to this many days before a deal is created

# HubSpot's default call outcomes (hs_call_disposition GUIDs); the first is "Connected".
CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
CALL_DISPOSITIONS = [CONNECTED,
                     "73a0d17f-1163-4015-bdd5-ec830791da20",  # No answer
                     "b2cf5968-551e-4856-9783-52b3da59a7d0",  # Left voicemail
                     "9d9162e7-6cf3-4944-bf63-4dff82258764",  # Busy
                     "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",  # Left live message
                     "17b47fee-58de-441e-a44c-c6300d46f273"]  # Wrong number
OTHER_WEIGHTS = np.array([0.45, 0.35, 0.08, 0.08, 0.04])
ENGAGEMENT_TYPES = ["MEETING", "CALL", "EMAIL", "INCOMING_EMAIL"]
# HubSpot association type ids (engagement → contact) per ENGAGEMENT_TYPES entry.
CONTACT_TYPE_IDS = np.array([200, 194, 198, 198], dtype=np.int64)
FIRST_CALL_ID, FIRST_EMAIL_ID = 41_000_000_001, 51_000_000_001


def _deal_contacts(deals, comp, seed: int) -> np.ndarray:
    """Contact index (0-based, as ``demo._contact_frame`` numbers them) of each deal: one of its
    company's contacts. Re-draws the contacts' per-company counts exactly as ``_contact_frame``."""
    from data_access.demo import VENUE, _rng

    rng = _rng(seed, "contacts")
    is_venue = comp.kind == VENUE
    per = np.where(is_venue, rng.integers(1, 4, len(comp)), rng.integers(1, 5, len(comp)))
    first = np.cumsum(per) - per
    pick = _rng(seed, "deal_contacts").random(len(deals))
    return first[deals.company] + (pick * per[deals.company]).astype(np.int64)


def activity_frames(deals, comp, owners, clock, seed: int, meeting: pd.DataFrame,
                    meeting_deal: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``engagement``, ``engagement_call``, ``engagement_email``, ``engagement_contact`` and
    ``deal_contact`` frames (schema.TABLES columns) for the demo's deals and meetings."""
    from data_access.demo import DAY, PORTAL_ID, _deal_ids, _frame, _nullable_int, _pick, _rng

    contact_ids = 501 + _deal_contacts(deals, comp, seed) * 2  # as _contact_frame's ids
    deal_ids = _deal_ids(len(deals))
    live = np.flatnonzero(~deals.is_deleted)
    rng = _rng(seed, "activity")

    def touches(mean: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = np.repeat(live, rng.poisson(mean, len(live)))
        lo = deals.create[d] - LEAD_DAYS * DAY
        hi = np.maximum(np.minimum(deals.close[d], clock.sync - 3600), lo)
        at = (lo + rng.random(len(d)) * (hi - lo)).astype(np.int64)
        order = np.argsort(at, kind="stable")
        d, at = d[order], at[order]
        owner = np.where(rng.random(len(d)) < UNOWNED_SHARE, -1, deals.owner[d])
        return d, at, owner

    def owner_ids(owner: np.ndarray) -> pd.arrays.IntegerArray:
        return _nullable_int(owners.ids[np.maximum(owner, 0)], owner < 0)

    # calls
    c_deal, c_at, c_owner = touches(CALLS_PER_DEAL)
    n_c = len(c_deal)
    c_ids = FIRST_CALL_ID + np.arange(n_c, dtype=np.int64) * 7
    connected = rng.random(n_c) < CONNECTED_SHARE
    other = 1 + rng.choice(len(OTHER_WEIGHTS), n_c, p=OTHER_WEIGHTS)
    disposition = _pick(CALL_DISPOSITIONS, np.where(connected, 0, other))
    c_synced = clock.synced(rng, c_at)
    call = _frame("hubspot", "engagement_call", {
        "engagement_id": c_ids,
        "_fivetran_deleted": rng.random(n_c) < 0.005,
        "_fivetran_synced": c_synced,
        "property_hs_createdate": clock.ts(c_at),
        "property_hs_timestamp": clock.ts(c_at),
        "property_hubspot_owner_id": owner_ids(c_owner),
        "property_hs_call_disposition": disposition,
        "property_hs_call_status": "COMPLETED",
        "property_hs_call_duration": np.where(connected, rng.integers(120_000, 1_800_000, n_c),
                                              rng.integers(5_000, 60_000, n_c)),
        "type": "CALL",
    })

    # emails sent, and the replies to some of them (same thread, within 3 days, not after the last sync)
    e_deal, e_at, e_owner = touches(EMAILS_PER_DEAL)
    n_e = len(e_deal)
    bounced = rng.random(n_e) < BOUNCED_SHARE
    reply_at = e_at + rng.integers(3600, 3 * DAY, n_e)
    replied = ~bounced & (rng.random(n_e) < REPLY_SHARE) & (reply_at < clock.sync - 60)
    r = np.flatnonzero(replied)
    e_all_deal = np.concatenate([e_deal, e_deal[r]])
    e_all_at = np.concatenate([e_at, reply_at[r]])
    e_all_owner = np.concatenate([e_owner, e_owner[r]])
    n_all = len(e_all_deal)
    e_ids = FIRST_EMAIL_ID + np.arange(n_all, dtype=np.int64) * 7
    thread = np.concatenate([e_ids[:n_e], e_ids[r]])
    direction = np.where(np.arange(n_all) < n_e, "EMAIL", "INCOMING_EMAIL").astype(object)
    status = np.where(np.concatenate([bounced, np.zeros(len(r), dtype=bool)]), "BOUNCED", "SENT").astype(object)
    email = _frame("hubspot", "engagement_email", {
        "engagement_id": e_ids,
        "_fivetran_deleted": rng.random(n_all) < 0.005,
        "_fivetran_synced": clock.synced(rng, e_all_at),
        "property_hs_createdate": clock.ts(e_all_at),
        "property_hs_timestamp": clock.ts(e_all_at),
        "property_hs_email_subject": np.where(direction == "EMAIL", "Sampling campaign follow-up",
                                              "RE: Sampling campaign follow-up").astype(object),
        "property_hubspot_owner_id": owner_ids(e_all_owner),
        "property_hs_email_direction": direction,
        "property_hs_email_status": status,
        "property_hs_email_thread_id": pd.Series(thread).astype(str).to_numpy(dtype=object),
        "type": direction,
    })

    # meetings: their deal (engagement_deal) gives their rep and contact
    m_ids = meeting["engagement_id"].to_numpy(dtype=np.int64)
    link = meeting_deal[meeting_deal["engagement_type"] == "MEETING"]
    m_deal = ((link["deal_id"].to_numpy(dtype=np.int64) - deal_ids[0]) // 3)
    m_deal_of = pd.Series(m_deal, index=link["engagement_id"].to_numpy(dtype=np.int64))
    m_deal_all = m_deal_of.reindex(m_ids).to_numpy(dtype=np.int64)
    m_owner = deals.owner[m_deal_all]
    m_at = clock.days(meeting["start_time"].to_numpy().astype("datetime64[D]")) * DAY

    ids = np.concatenate([m_ids, c_ids, e_ids])
    # engagement kind codes: index into ENGAGEMENT_TYPES (no per-row Python mapping)
    kind = np.concatenate([np.zeros(len(m_ids), dtype=np.int64), np.ones(n_c, dtype=np.int64),
                           np.where(np.arange(n_all) < n_e, 2, 3)])
    owner = np.concatenate([m_owner, c_owner, e_all_owner])
    at = np.concatenate([m_at, c_at, e_all_at])
    deal_of = np.concatenate([m_deal_all, c_deal, e_all_deal])
    synced = clock.synced(rng, np.minimum(at, clock.sync))
    engagement = _frame("hubspot", "engagement", {
        "id": ids,
        "type": _pick(ENGAGEMENT_TYPES, kind),
        "_fivetran_synced": synced,
        "portal_id": PORTAL_ID,
        "owner_id": owner_ids(owner),
        "created_at": clock.ts(np.minimum(at, clock.sync)),
    })
    engagement_contact = _frame("hubspot", "engagement_contact", {
        "contact_id": contact_ids[deal_of],
        "engagement_id": ids,
        "engagement_type": _pick(["MEETING", "CALL", "EMAIL", "EMAIL"], kind),
        "type_id": CONTACT_TYPE_IDS[kind],
        "_fivetran_synced": synced,
        "category": "HUBSPOT_DEFINED",
    })
    deal_contact = _frame("hubspot", "deal_contact", {
        "contact_id": contact_ids[live],
        "deal_id": deal_ids[live],
        "_fivetran_synced": clock.synced(rng, np.minimum(deals.create[live], clock.sync)),
        "type_id": 3,
        "category": "HUBSPOT_DEFINED",
    })
    return {"engagement": engagement, "engagement_call": call, "engagement_email": email,
            "engagement_contact": engagement_contact, "deal_contact": deal_contact}
