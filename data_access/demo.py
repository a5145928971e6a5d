"""Demo company generator: a coherent two-sided marketplace in the Fivetran tables.

    python -m data_access.demo --scale N [--as-of YYYY-MM-DD] [--seed S] [--duckdb-path PATH]

writes every table of ``schema.TABLES`` for the sources ``hubspot``, ``quickbooks``,
``marketplace`` (venue inventory) and ``finance`` (budget) into the local DuckDB
warehouse (one transaction per source), with exactly the
declared columns and DuckDB types (INT64 → BIGINT, FLOAT64 → DOUBLE, STRING → VARCHAR,
BOOL → BOOLEAN, DATE → DATE, TIMESTAMP → naive-UTC TIMESTAMP).

The business (see ``docs/data_model.md``): brands ("demand") buy sampling/event
campaigns through the HubSpot sales pipeline ``default`` ("Sales Pipeline", as a portal names its first); venues ("supply":
universities, fitness studios, offices, events) are onboarded through
``supply_onboarding``. Won demand deals are billed in QuickBooks as monthly invoices
over a 1–6 month campaign starting at the close date. Customers renew on a cadence of
2–4 campaigns a year, grow or shrink, and some churn. Around them: HubSpot meetings on
deals, the onboarded venues' spaces in the app's inventory, and the books (chart of
accounts with balances, vendor bills and their payments, card expenses, the budget).

Everything is vectorised with numpy (scale 200 ≈ 1M deals) and deterministic for a
(scale, as_of, seed): each part draws from its own generator seeded by
``(seed, part name)``. Internally times are integer seconds relative to the as-of
date at 00:00 UTC (negative = past); they become timestamps only in the frames.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from data_access import schema

# --------------------------------------------------------------------------------------
# Constants: the company's shape
# --------------------------------------------------------------------------------------

DAY = 86_400  # seconds
HORIZON_DAYS = 1_095  # history before the as-of date (~3 years)
PORTAL_ID = 24_681_357
EMAIL_DOMAIN = "pulse-demo.com"
FIVETRAN_END_OPEN = np.datetime64("2050-01-01T00:00:00", "s")

DEMAND_PIPELINE = "default"  # HubSpot names a portal's first sales pipeline `default`
SUPPLY_PIPELINE = "supply_onboarding"

# (stage_id, label, probability, is_closed, closed_won) in pipeline order.
DEMAND_STAGES = [
    ("demand_qualified", "Qualified", 0.1, False, False),
    ("demand_discovery", "Discovery", 0.2, False, False),
    ("demand_proposal", "Proposal", 0.4, False, False),
    ("demand_negotiation", "Negotiation", 0.6, False, False),
    ("demand_contract_sent", "Contract Sent", 0.8, False, False),
    ("demand_closed_won", "Closed Won", 1.0, True, True),
    ("demand_closed_lost", "Closed Lost", 0.0, True, False),
]
SUPPLY_STAGES = [
    ("supply_target", "Supply Target", 0.1, False, False),
    ("supply_contacted", "Contacted", 0.3, False, False),
    ("supply_onboarding", "Onboarding", 0.6, False, False),
    ("supply_onboarded", "Onboarded", 1.0, True, True),
    ("supply_not_a_fit", "Not a Fit", 0.0, True, False),
]
RETIRED_STAGE = ("demand_verbal_commit", "Verbal Commit (retired)", 0.9, False, False)
# Stage codes per pipeline: open stages 0..OPEN-1, then won, then lost.
DEMAND_OPEN, SUPPLY_OPEN = 5, 3
WON, LOST, OPEN = 1, 2, 0  # deal outcomes

TEAMS = [(5_101_001, "Demand East"), (5_101_002, "Demand West"), (5_101_003, "Supply")]
EAST, WEST, SUPPLY_TEAM = 0, 1, 2

DEMAND_INDUSTRIES = [
    "Consumer Packaged Goods", "Beverage", "Beauty & Personal Care",
    "Technology", "Financial Services", "Retail",
]
DEMAND_INDUSTRY_WEIGHTS = [0.28, 0.20, 0.18, 0.12, 0.10, 0.12]
SUPPLY_INDUSTRIES = ["University", "Fitness Studio", "Office", "Event"]
SUPPLY_INDUSTRY_WEIGHTS = [0.35, 0.30, 0.20, 0.15]
INDUSTRIES = DEMAND_INDUSTRIES + SUPPLY_INDUSTRIES  # company industry code → name

# Name suffixes per industry (disjoint, so names are unique across industries).
NAME_SUFFIXES = {
    "Consumer Packaged Goods": ["Foods", "Brands", "Snacks", "Naturals", "Pantry"],
    "Beverage": ["Beverages", "Brewing Co.", "Drinks", "Coffee Co.", "Sparkling"],
    "Beauty & Personal Care": ["Beauty", "Skincare", "Cosmetics", "Botanicals", "Apothecary"],
    "Technology": ["Labs", "Technologies", "Software", "Systems", "AI"],
    "Financial Services": ["Financial", "Capital", "Bank", "Pay", "Insurance"],
    "Retail": ["Outfitters", "Market", "Supply Co.", "Goods", "Stores"],
    "University": ["University", "College", "State University", "Institute", "Community College"],
    "Fitness Studio": ["Fitness", "Yoga", "Pilates", "Cycle Studio", "Athletic Club"],
    "Office": ["Tower", "Plaza", "Commons", "Cowork", "Business Park"],
    "Event": ["Festival", "Expo", "Summit", "Fair", "Showcase"],
}
# Added to a name once an industry's adjective × noun × suffix combinations run out.
NAME_QUALIFIERS = [
    "Group", "Holdings", "International", "USA", "Partners", "Collective", "Worldwide",
    "North America", "Co-op", "Enterprises", "& Sons", "Associates", "Global", "Direct",
    "Ventures", "Alliance", "Network", "United", "Heritage", "Original",
]
ADJECTIVES = [
    "Bright", "Golden", "Silver", "Blue", "Green", "Red", "Crimson", "Amber", "Azure", "Coral",
    "Copper", "Crystal", "Emerald", "Ivory", "Jade", "Lunar", "Solar", "Misty", "Noble", "Northern",
    "Southern", "Eastern", "Western", "Quiet", "Rapid", "Royal", "Rustic", "Sunny", "Swift", "True",
    "Urban", "Vivid", "Wild", "Bold", "Brave", "Calm", "Clear", "Cosmic", "Daring", "Early",
    "Fair", "Fresh", "Gentle", "Grand", "Happy", "Honest", "Humble", "Keen", "Kind", "Little",
    "Lucky", "Merry", "Modern", "Nimble", "Open", "Proud", "Pure", "Radiant", "Rising", "Sage",
    "Simple", "Smart", "Sparkling", "Steady", "Stellar", "Sweet", "Tidal", "Timber", "Twin", "Upper",
    "Velvet", "Vintage", "Warm", "Wise", "Young", "Zesty", "Maple", "Cedar", "Harvest", "Prime",
]
NOUNS = [
    "Harbor", "Peak", "River", "Meadow", "Ridge", "Grove", "Valley", "Canyon", "Field", "Forest",
    "Garden", "Hill", "Lake", "Mesa", "Mountain", "Ocean", "Orchard", "Prairie", "Shore", "Spring",
    "Stone", "Bay", "Beacon", "Bridge", "Brook", "Cove", "Creek", "Crest", "Dune", "Fern",
    "Glen", "Haven", "Isle", "Lantern", "Leaf", "Lotus", "Marsh", "Moon", "Oak", "Palm",
    "Pine", "Pond", "Quarry", "Rain", "Reef", "Rock", "Sky", "Star", "Stream", "Sun",
    "Thistle", "Trail", "Willow", "Wind", "Wood", "Arrow", "Anchor", "Compass", "Crown", "Falcon",
    "Fox", "Hawk", "Heron", "Lark", "Lion", "Otter", "Owl", "Raven", "Robin", "Sparrow",
    "Wolf", "Bee", "Bear", "Birch", "Aspen", "Clover", "Daisy", "Poppy", "Summit", "Tide",
]
FIRST_NAMES = [
    "James", "Mary", "Michael", "Patricia", "Robert", "Jennifer", "John", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Karen", "Christopher", "Sarah",
    "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Sandra", "Anthony", "Ashley", "Mark", "Emily",
    "Steven", "Donna", "Andrew", "Michelle", "Joshua", "Carol", "Kevin", "Amanda", "Brian", "Melissa",
    "Ryan", "Deborah", "Jacob", "Stephanie", "Nicholas", "Rebecca", "Eric", "Laura", "Jonathan", "Helen",
    "Priya", "Wei", "Aisha", "Carlos", "Sofia", "Mateo", "Yuki", "Omar", "Fatima", "Diego",
    "Chloe", "Lucas", "Maya", "Ethan", "Olivia", "Noah", "Ava", "Liam", "Isabella", "Mia",
    "Grace", "Samuel", "Hannah", "Benjamin", "Zoe", "Alexander", "Nora", "Henry", "Leah", "Owen",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Patel", "Chen", "Kim", "Singh", "Okafor", "Rossi", "Muller", "Dubois", "Tanaka", "Kowalski",
    "Murphy", "Cooper", "Reed", "Bailey", "Bell", "Gomez", "Kelly", "Howard", "Ward", "Cox",
    "Diaz", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "James", "Reyes", "Cruz",
]
# US cities: (city, state, sales region); EU cities: (city, country)
US_CITIES = [
    ("New York", "NY", EAST), ("Boston", "MA", EAST), ("Philadelphia", "PA", EAST), ("Atlanta", "GA", EAST),
    ("Miami", "FL", EAST), ("Charlotte", "NC", EAST), ("Washington", "DC", EAST), ("Chicago", "IL", EAST),
    ("Pittsburgh", "PA", EAST), ("Baltimore", "MD", EAST), ("Raleigh", "NC", EAST), ("Nashville", "TN", EAST),
    ("Columbus", "OH", EAST), ("Detroit", "MI", EAST), ("Orlando", "FL", EAST), ("Newark", "NJ", EAST),
    ("Los Angeles", "CA", WEST), ("San Francisco", "CA", WEST), ("Seattle", "WA", WEST), ("Portland", "OR", WEST),
    ("Denver", "CO", WEST), ("Austin", "TX", WEST), ("Dallas", "TX", WEST), ("Houston", "TX", WEST),
    ("Phoenix", "AZ", WEST), ("San Diego", "CA", WEST), ("Salt Lake City", "UT", WEST), ("Las Vegas", "NV", WEST),
    ("Boulder", "CO", WEST), ("Minneapolis", "MN", WEST), ("Sacramento", "CA", WEST), ("Albuquerque", "NM", WEST),
]
EU_CITIES = [
    ("Berlin", "Germany"), ("Munich", "Germany"), ("Paris", "France"), ("Amsterdam", "Netherlands"),
    ("Dublin", "Ireland"), ("Madrid", "Spain"), ("Milan", "Italy"),
]
DEMAND_TITLES = ["Brand Manager", "Marketing Director", "VP Marketing", "Shopper Marketing Manager",
                 "Procurement Lead", "Experiential Marketing Manager", "CMO"]
SUPPLY_TITLES = ["Campus Activities Director", "Studio Owner", "Facilities Manager", "Event Director",
                 "Operations Manager", "General Manager"]
CAMPAIGNS = ["Sampling", "Campus Sampling", "Event Activation", "Pop-up Tour", "Fitness Sampling",
             "Office Sampling", "Product Launch"]
SEASONS_BY_MONTH = ["Winter", "Winter", "Spring", "Spring", "Spring", "Summer",
                    "Summer", "Summer", "Fall", "Fall", "Holiday", "Holiday"]
# QuickBooks items on invoice lines: (item id, description)
ITEM_VENUES = (11, "Venue access fees")
ITEM_STAFF = (12, "Brand ambassador staffing (hours)")
ITEM_MANAGEMENT = (13, "Campaign management")

# Demand model (per unit of scale) — tuned so scale 1 ≈ 5,000 deals (see docs/data_model.md).
CUSTOMERS_PER_SCALE = 220  # brands that buy (those churned before the history have no deals in it)
PROSPECTS_PER_SCALE = 330  # brands that never win
NEW_LOGO_OPEN_PER_SCALE = 170  # open deals with prospects
SUPPLY_DEALS_PER_SCALE = 750  # one venue per onboarding deal
REPS_AT_SCALE_1 = 12
TARGET_WIN_RATE = 0.30
CUSTOMER_GROWTH_PER_YEAR = 0.20  # growth of the new-customer arrival rate (log scale)
PRE_HISTORY_DAYS = 1_460  # customers may have started up to 4 years before the exported history
CHURN_HAZARD_PER_YEAR = 0.06  # for a median-size customer
CHURN_SIZE_ELASTICITY = 0.35
SPEND_GROWTH_MEAN, SPEND_GROWTH_SD = 0.04, 0.12  # per-customer log growth of deal size / year
MEDIAN_DEAL_USD, DEAL_SIGMA = 36_000, 0.75
DEAL_NOISE_SIGMA = 0.15  # deal-to-deal noise around a customer's level
MIN_DEAL_USD, MAX_DEAL_USD = 5_000, 500_000
EUR_CUSTOMER_SHARE = 0.03
DELETED_DEAL_SHARE = 0.004
UNDATED_OPEN_DEAL_SHARE = 0.1  # open sales deals closing after this quarter whose close date is empty
DELETED_COMPANY_SHARE = 0.004
DELETED_INVOICE_SHARE = 0.01
OPEN_BALANCE_DAYS = 45  # invoices younger than this are unpaid
DEMO_SOURCES = ("hubspot", "quickbooks", "marketplace", "finance", "zendesk", "surveys")  # what build_demo writes


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _rng(seed: int, part: str) -> np.random.Generator:
    """The generator for one part of the company: stable per (seed, part)."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def _count(per_scale: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(per_scale * scale)))


def _at_least_one(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A boolean mask over ``n`` items with ``max(1, round(share·n))`` chosen at random."""
    mask = np.zeros(n, dtype=bool)
    if n:
        mask[rng.choice(n, size=min(n, max(1, int(round(share * n)))), replace=False)] = True
    return mask


def _arrivals(rng: np.random.Generator, n: int, first_day: float, last_day: float, growth: float) -> np.ndarray:
    """``n`` days in [first_day, last_day] with a density growing like exp(growth · years)."""
    span = last_day - first_day
    k = growth / 365.0
    u = rng.random(n)
    return first_day + np.log1p(u * np.expm1(k * span)) / k


def _time_of_day(rng: np.random.Generator, n: int, start_hour: float = 13, end_hour: float = 22) -> np.ndarray:
    """Seconds after midnight UTC in US business hours."""
    return (rng.uniform(start_hour, end_hour, n) * 3600).astype(np.int64)


def _pick(values: list, codes: np.ndarray) -> np.ndarray:
    """``values[codes]`` as an object array (codes < 0 → None)."""
    table = np.array(list(values) + [None], dtype=object)
    return table[np.where(codes < 0, len(values), codes)]


def _concat_str(*parts) -> pd.Series:
    """Element-wise string concatenation of arrays/Series/scalars (vectorised)."""
    out = None
    for p in parts:
        s = p if isinstance(p, str) else pd.Series(p, dtype="str").reset_index(drop=True)
        out = s if out is None else out + s
    return out


def _nullable_int(values: np.ndarray, null: np.ndarray) -> pd.arrays.IntegerArray:
    """An ``Int64`` array that is NULL where ``null`` is true."""
    return pd.arrays.IntegerArray(np.where(null, 0, values).astype(np.int64), np.asarray(null, dtype=bool))


def _slug(names: pd.Series) -> pd.Series:
    return names.str.lower().str.replace(r"[^a-z0-9]+", "", regex=True)


class _Clock:
    """Converts seconds relative to the as-of date (00:00 UTC) to timestamps and dates."""

    def __init__(self, as_of: dt.date):
        self.as_of = as_of
        self.origin = np.datetime64(as_of.isoformat(), "s")
        self.sync = 23 * 3600 + 50 * 60  # Fivetran's last sync: as-of day 23:50 UTC

    def ts(self, secs: np.ndarray) -> np.ndarray:
        return self.origin + np.asarray(secs, dtype=np.int64).astype("timedelta64[s]")

    def date(self, days: np.ndarray) -> np.ndarray:
        return self.origin.astype("datetime64[D]") + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")

    def days(self, dates: np.ndarray) -> np.ndarray:
        """Calendar dates → days relative to the as-of date."""
        return (dates - self.origin.astype("datetime64[D]")).astype(np.int64)

    def synced_secs(self, rng: np.random.Generator, secs: np.ndarray) -> np.ndarray:
        """A sync time a few minutes to hours after ``secs``, never after the last sync."""
        lag = rng.integers(120, 6 * 3600, len(secs))
        return np.minimum(np.asarray(secs) + lag, self.sync)

    def synced(self, rng: np.random.Generator, secs: np.ndarray) -> np.ndarray:
        return self.ts(self.synced_secs(rng, secs))


_PANDAS_TYPES = {
    "INT64": "Int64",
    "FLOAT64": "float64",
    "NUMERIC": "float64",
    "STRING": "str",
    "BOOL": "boolean",
    "TIMESTAMP": "datetime64[us]",
}


def _column(values, bq_type: str) -> pd.Series:
    if bq_type == "DATE":
        arr = np.asarray(values).astype("datetime64[D]")
        return pd.Series(pd.array(pa.array(arr, type=pa.date32()), dtype=pd.ArrowDtype(pa.date32())))
    if isinstance(values, pd.Series):
        values = values.reset_index(drop=True)
    return pd.Series(values).astype(_PANDAS_TYPES[bq_type])


def _frame(source: str, table: str, columns: Mapping[str, object], n: int | None = None) -> pd.DataFrame:
    """A frame with exactly ``schema.TABLES[source][table]``'s columns, in order and typed.

    Scalars are broadcast to ``n`` rows (or to the length of the array columns).
    """
    spec = schema.TABLES[source][table]
    if set(columns) != set(spec):
        raise ValueError(f"{source}.{table}: columns {sorted(set(columns) ^ set(spec))} do not match schema")
    if n is None:
        n = next(len(v) for v in columns.values() if not np.isscalar(v) and v is not None)
    out = {}
    for name, bq_type in spec.items():
        v = columns[name]
        if v is None or np.isscalar(v):
            v = np.full(n, v, dtype=object)
        out[name] = _column(v, bq_type)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------
# Owners and teams
# --------------------------------------------------------------------------------------


@dataclass
class _Owners:
    ids: np.ndarray
    team: np.ndarray  # EAST / WEST / SUPPLY_TEAM
    first: np.ndarray
    last: np.ndarray
    user_ids: np.ndarray

    def of_team(self, team: int) -> np.ndarray:
        return np.flatnonzero(self.team == team)


def _owner_plan(scale: float, seed: int) -> _Owners:
    rng = _rng(seed, "owners")
    n = max(4, int(round(REPS_AT_SCALE_1 * np.sqrt(scale))))
    n_supply = max(1, int(round(n * 0.25)))
    n_demand = n - n_supply
    n_east = (n_demand + 1) // 2
    team = np.array([EAST] * n_east + [WEST] * (n_demand - n_east) + [SUPPLY_TEAM] * n_supply)
    combos = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=n, replace=False)
    first = np.array(FIRST_NAMES, dtype=object)[combos // len(LAST_NAMES)]
    last = np.array(LAST_NAMES, dtype=object)[combos % len(LAST_NAMES)]
    ids = 40_100_000 + np.arange(n) * 7_919 + rng.integers(0, 7_000, n)
    user_ids = 9_200_000 + np.arange(n) * 131 + rng.integers(0, 100, n)
    return _Owners(ids, team, first, last, user_ids)


def _owner_frames(owners: _Owners, clock: _Clock, seed: int) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "owner_frames")
    n = len(owners.ids)
    created = -(HORIZON_DAYS + rng.integers(30, 400, n)) * DAY + _time_of_day(rng, n)
    updated = created + rng.integers(1, 300, n) * DAY
    emails = _concat_str(owners.first, ".", owners.last, "@" + EMAIL_DOMAIN).str.lower()
    owner = _frame("hubspot", "owner", {
        "owner_id": owners.ids,
        "_fivetran_synced": clock.synced(rng, updated),
        "created_at": clock.ts(created),
        "portal_id": PORTAL_ID,
        "type": "PERSON",
        "updated_at": clock.ts(updated),
        "email": emails,
        "first_name": owners.first,
        "last_name": owners.last,
        "active_user_id": owners.user_ids,
    })
    team_created = -(HORIZON_DAYS + 400) * DAY
    team = _frame("hubspot", "team", {
        "id": np.array([t[0] for t in TEAMS]),
        "name": np.array([t[1] for t in TEAMS], dtype=object),
        "_fivetran_synced": clock.synced(rng, np.full(len(TEAMS), team_created)),
    })
    owner_team = _frame("hubspot", "owner_team", {
        "owner_id": owners.ids,
        "team_id": np.array([t[0] for t in TEAMS])[owners.team],
        "is_team_primary": True,
        "_fivetran_synced": clock.synced(rng, updated),
    })
    return {"owner": owner, "team": team, "owner_team": owner_team}


# --------------------------------------------------------------------------------------
# Companies (plan: who they are; frames come after the deals fix their dates)
# --------------------------------------------------------------------------------------

CUSTOMER, PROSPECT, VENUE, DUPLICATE = 0, 1, 2, 3  # company kinds


@dataclass
class _Companies:
    kind: np.ndarray
    industry: np.ndarray  # index into INDUSTRIES
    name: pd.Series
    city: np.ndarray  # index into US_CITIES, or -1 for EU
    eu_city: np.ndarray  # index into EU_CITIES, or -1
    owner: np.ndarray  # index into owners
    is_eur: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def region(self) -> np.ndarray:
        us_region = np.array([c[2] for c in US_CITIES])
        return np.where(self.city >= 0, us_region[np.maximum(self.city, 0)], EAST)


def _names(rng: np.random.Generator, industry: np.ndarray) -> pd.Series:
    """Unique readable names: adjective + noun + industry suffix (+ qualifier when needed)."""
    out = np.empty(len(industry), dtype=object)
    n_adj, n_noun = len(ADJECTIVES), len(NOUNS)
    adjectives = np.array(ADJECTIVES, dtype=object)
    nouns = np.array(NOUNS, dtype=object)
    for code, industry_name in enumerate(INDUSTRIES):
        rows = np.flatnonzero(industry == code)
        if not len(rows):
            continue
        suffixes = np.array(NAME_SUFFIXES[industry_name], dtype=object)
        capacity = n_adj * n_noun * len(suffixes)
        passes = -(-len(rows) // capacity)
        combos = np.concatenate([rng.permutation(capacity) for _ in range(passes)])[: len(rows)]
        which_pass = np.arange(len(rows)) // capacity
        qualifiers = np.array([""] + [" " + q for q in NAME_QUALIFIERS]
                              + [f" {i}" for i in range(len(NAME_QUALIFIERS) + 2, passes + 2)], dtype=object)
        a, rest = combos // (n_noun * len(suffixes)), combos % (n_noun * len(suffixes))
        out[rows] = (adjectives[a] + " " + nouns[rest // len(suffixes)] + " "
                     + suffixes[rest % len(suffixes)] + qualifiers[which_pass])
    return pd.Series(out, dtype="str")


def _company_plan(scale: float, owners: _Owners, seed: int) -> _Companies:
    rng = _rng(seed, "companies")
    n_cust = _count(CUSTOMERS_PER_SCALE, scale)
    n_prosp = _count(PROSPECTS_PER_SCALE, scale)
    n_venue = _count(SUPPLY_DEALS_PER_SCALE, scale)
    n_dup = max(1, int(round(DELETED_COMPANY_SHARE * (n_cust + n_prosp + n_venue))))
    kind = np.concatenate([np.full(n_cust, CUSTOMER), np.full(n_prosp, PROSPECT),
                           np.full(n_venue, VENUE), np.full(n_dup, DUPLICATE)])
    n = len(kind)
    demand_ind = rng.choice(len(DEMAND_INDUSTRIES), n, p=DEMAND_INDUSTRY_WEIGHTS)
    supply_ind = len(DEMAND_INDUSTRIES) + rng.choice(len(SUPPLY_INDUSTRIES), n, p=SUPPLY_INDUSTRY_WEIGHTS)
    industry = np.where(kind == VENUE, supply_ind, demand_ind)
    name = _names(rng, industry)

    city = rng.integers(0, len(US_CITIES), n)
    comp = _Companies(kind, industry, name, city, np.full(n, -1), np.zeros(n, dtype=np.int64), np.zeros(n, bool))

    east, west, supply = owners.of_team(EAST), owners.of_team(WEST), owners.of_team(SUPPLY_TEAM)
    region = comp.region
    comp.owner = np.where(
        kind == VENUE, supply[rng.integers(0, len(supply), n)],
        np.where(region == EAST, east[rng.integers(0, len(east), n)], west[rng.integers(0, len(west), n)]),
    )
    # Soft-deleted duplicates: an old copy of a real brand's record ("Bright Harbor Foods (old)").
    dup = np.flatnonzero(kind == DUPLICATE)
    src = rng.choice(n_cust + n_prosp, len(dup), replace=False)
    comp.name = comp.name.copy()
    comp.name.iloc[dup] = (comp.name.iloc[src].to_numpy(dtype=object) + " (old)").astype(object)
    for arr in (comp.industry, comp.city, comp.eu_city, comp.owner):
        arr[dup] = arr[src]
    return comp


# --------------------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------------------


@dataclass
class _Deals:
    """Per-deal arrays (one element per deal). Times are seconds relative to the as-of date."""

    company: np.ndarray
    pipeline: np.ndarray  # 0 demand, 1 supply
    outcome: np.ndarray  # OPEN / WON / LOST
    rank: np.ndarray  # highest open stage entered (0-based within the pipeline)
    create: np.ndarray
    close: np.ndarray
    amount: np.ndarray  # USD, NaN = no amount
    campaign: np.ndarray  # index into CAMPAIGNS (-1 for supply)
    months: np.ndarray  # billing months for won demand deals, else 0
    owner: np.ndarray | None = None  # index into owners, -1 = unassigned
    is_deleted: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.company)

    def take(self, idx: np.ndarray) -> "_Deals":
        return _Deals(**{f.name: (None if getattr(self, f.name) is None else getattr(self, f.name)[idx])
                         for f in fields(self)})

    @staticmethod
    def concat(parts: list["_Deals"]) -> "_Deals":
        return _Deals(**{f.name: (None if getattr(parts[0], f.name) is None
                                  else np.concatenate([getattr(p, f.name) for p in parts]))
                         for f in fields(_Deals)})


def _amounts(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.lognormal(np.log(MEDIAN_DEAL_USD * 1.1), DEAL_SIGMA + 0.1, n)
    return np.clip(np.round(raw), MIN_DEAL_USD, MAX_DEAL_USD)


def _cycle_days(rng: np.random.Generator, n: int, median: float) -> np.ndarray:
    return np.clip(np.round(rng.lognormal(np.log(median), 0.55, n)), 7, 300).astype(np.int64)


def _closed_times(rng, close_day: np.ndarray, cycle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(close_day)
    close = close_day * DAY + _time_of_day(rng, n)
    create = (close_day - cycle) * DAY + _time_of_day(rng, n)
    return create, close


def _open_times(rng, close_day: np.ndarray, cycle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Open deals: created before the as-of date (≥ 1 day), close date as planned."""
    n = len(close_day)
    create_day = np.minimum(close_day - cycle, -rng.integers(1, 31, n))
    return create_day * DAY + _time_of_day(rng, n), close_day * DAY + _time_of_day(rng, n)


def _open_rank(rng, close_day: np.ndarray, n_open: int) -> np.ndarray:
    """Open deals closer to their close date sit in later stages (±1 stage of noise)."""
    expected = (n_open - 1) * (1 - np.maximum(close_day, 0) / 180)
    rank = np.round(expected + rng.normal(-0.5, 1.0, len(close_day)))
    return np.clip(rank, 0, n_open - 1).astype(np.int8)


def _lost_rank(rng, n: int, n_open: int) -> np.ndarray:
    w = np.array([0.30, 0.25, 0.20, 0.15, 0.10])[:n_open]
    return rng.choice(n_open, n, p=w / w.sum()).astype(np.int8)


def _campaign_months(rng, gap_days: np.ndarray) -> np.ndarray:
    months = np.clip(np.round(gap_days / 30 * rng.uniform(0.6, 1.1, len(gap_days))), 1, 6)
    months[rng.random(len(gap_days)) < 0.15] = 1  # one-off events
    return months.astype(np.int8)


def _customer_deals(rng: np.random.Generator, customers: np.ndarray) -> _Deals:
    """Won deals of each customer on its cadence, plus its next deal (open renewal or lost).

    Each customer starts with a won deal on its start day, then wins one campaign every
    365/k days (k = 2–4 a year, a few weeks early at random) until it churns. Deal sizes
    follow the customer's level × exp(growth · years) × noise. The deal after the last won
    one is an open renewal (customer still active) or, for most churned customers, a
    closed-lost renewal at the churn point.
    """
    n = len(customers)
    per_year = rng.choice([2, 3, 4], n, p=[0.30, 0.45, 0.25])
    gap = 365.0 / per_year
    start = np.floor(_arrivals(rng, n, -HORIZON_DAYS - PRE_HISTORY_DAYS, -7, CUSTOMER_GROWTH_PER_YEAR))
    level = rng.lognormal(np.log(MEDIAN_DEAL_USD), DEAL_SIGMA, n)
    hazard = CHURN_HAZARD_PER_YEAR * (level / MEDIAN_DEAL_USD) ** -CHURN_SIZE_ELASTICITY  # big brands churn less
    lifetime = rng.exponential(365.0 / hazard)
    churned = start + lifetime <= 0
    end = np.minimum(start + lifetime, 0)
    n_won = (np.floor((end - start) / gap) + 1).astype(np.int64)
    growth = rng.normal(SPEND_GROWTH_MEAN, SPEND_GROWTH_SD, n)

    def schedule(cust: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        early = np.where(j > 0, rng.uniform(0, np.minimum(21, 0.3 * gap[cust])), 0)
        day = np.floor(start[cust] + j * gap[cust] - early).astype(np.int64)
        years = (day - start[cust]) / 365.0
        amount = level[cust] * np.exp(growth[cust] * years) * rng.lognormal(0, DEAL_NOISE_SIGMA, len(cust))
        return day, np.clip(np.round(amount), MIN_DEAL_USD, MAX_DEAL_USD)

    # Won deals.
    cust = np.repeat(np.arange(n), n_won)
    j = np.arange(len(cust)) - np.repeat(np.cumsum(n_won) - n_won, n_won)
    close_day, amount = schedule(cust, j)
    cycle = np.where(j == 0, _cycle_days(rng, len(cust), 70), _cycle_days(rng, len(cust), 40))
    create, close = _closed_times(rng, close_day, cycle)
    won = _Deals(customers[cust], np.zeros(len(cust), np.int8), np.full(len(cust), WON, np.int8),
                 np.full(len(cust), DEMAND_OPEN - 1, np.int8), create, close, amount,
                 rng.integers(0, len(CAMPAIGNS), len(cust)), _campaign_months(rng, gap[cust]))

    # The next deal: open renewal for active customers, lost renewal for most churned ones.
    nxt = np.flatnonzero(~churned | (rng.random(n) < 0.7))
    day, amount = schedule(nxt, n_won[nxt])
    is_open = ~churned[nxt]
    day = np.where(is_open, np.minimum(day, 180), np.minimum(day, 0))
    cycle = _cycle_days(rng, len(nxt), 40)
    o_create, o_close = _open_times(rng, day, cycle)
    l_create, l_close = _closed_times(rng, day, cycle)
    rank = np.where(is_open, _open_rank(rng, day, DEMAND_OPEN), _lost_rank(rng, len(nxt), DEMAND_OPEN))
    nxt_deals = _Deals(customers[nxt], np.zeros(len(nxt), np.int8), np.where(is_open, OPEN, LOST).astype(np.int8),
                       rank.astype(np.int8), np.where(is_open, o_create, l_create),
                       np.where(is_open, o_close, l_close), amount, rng.integers(0, len(CAMPAIGNS), len(nxt)),
                       np.zeros(len(nxt), np.int8))
    deals = _Deals.concat([won, nxt_deals])
    return deals.take(np.flatnonzero(deals.close >= -HORIZON_DAYS * DAY))  # the export's history


def _other_lost_deals(rng, won: _Deals, n_lost: int, prospects: np.ndarray) -> _Deals:
    """Lost deals timed like the won ones (so the win rate is steady over time).

    Each copies the close day of a random won deal ± 30 days; 35% are lost upsells with
    that won deal's customer, the rest are lost new-logo deals with prospects.
    """
    src = rng.integers(0, len(won), n_lost)
    day = np.floor(won.close[src] / DAY).astype(np.int64) + rng.integers(-30, 31, n_lost)
    day = np.where(day > 0, -day, day)  # reflect at the as-of date
    day = np.maximum(day, -HORIZON_DAYS)
    upsell = rng.random(n_lost) < 0.35
    company = np.where(upsell, won.company[src], prospects[rng.integers(0, len(prospects), n_lost)])
    cycle = np.where(upsell, _cycle_days(rng, n_lost, 40), _cycle_days(rng, n_lost, 70))
    create, close = _closed_times(rng, day, cycle)
    return _Deals(company, np.zeros(n_lost, np.int8), np.full(n_lost, LOST, np.int8),
                  _lost_rank(rng, n_lost, DEMAND_OPEN), create, close, _amounts(rng, n_lost),
                  rng.integers(0, len(CAMPAIGNS), n_lost), np.zeros(n_lost, np.int8))


def _new_logo_open_deals(rng, n: int, prospects: np.ndarray) -> _Deals:
    """Open new-business deals: ~12% slipped (close date up to 3 weeks ago), the rest
    closing within ~6 months, front-loaded (many in the as-of quarter)."""
    slipped = rng.random(n) < 0.12
    day = np.where(slipped, -rng.integers(1, 22, n), np.minimum(1 + np.floor(rng.exponential(55, n)), 180))
    day = day.astype(np.int64)
    create, close = _open_times(rng, day, _cycle_days(rng, n, 70))
    return _Deals(prospects[rng.integers(0, len(prospects), n)], np.zeros(n, np.int8), np.full(n, OPEN, np.int8),
                  _open_rank(rng, day, DEMAND_OPEN), create, close, _amounts(rng, n),
                  rng.integers(0, len(CAMPAIGNS), n), np.zeros(n, np.int8))


def _supply_deals(rng, venues: np.ndarray) -> _Deals:
    """One onboarding deal per venue: ~62% of closed ones onboarded; recent ones open."""
    n = len(venues)
    create_day = np.floor(_arrivals(rng, n, -HORIZON_DAYS, -1, CUSTOMER_GROWTH_PER_YEAR)).astype(np.int64)
    close_day = create_day + _cycle_days(rng, n, 45)
    recent = (close_day > -21) & (close_day <= 0)
    is_open = (close_day > 0) | (recent & (rng.random(n) < 0.5))
    close_day = np.where(is_open, np.minimum(close_day, 180), close_day)
    outcome = np.where(is_open, OPEN, np.where(rng.random(n) < 0.62, WON, LOST)).astype(np.int8)
    elapsed = -create_day / np.maximum(close_day - create_day, 1)
    rank = np.where(outcome == WON, SUPPLY_OPEN - 1,
                    np.where(outcome == LOST, _lost_rank(rng, n, SUPPLY_OPEN),
                             np.clip(np.floor(elapsed * SUPPLY_OPEN), 0, SUPPLY_OPEN - 1)))
    create = create_day * DAY + _time_of_day(rng, n)
    close = close_day * DAY + _time_of_day(rng, n)
    amount = np.where(rng.random(n) < 0.6, np.nan, 0.0)
    return _Deals(venues, np.ones(n, np.int8), outcome, rank.astype(np.int8), create, close, amount,
                  np.full(n, -1), np.zeros(n, np.int8))


def _make_eur(rng, comp: _Companies, candidates: np.ndarray, owners: _Owners) -> None:
    """~3% of the brands that win deals (at least one) are European and billed in EUR;
    they sit with the Demand East team."""
    eur = candidates[_at_least_one(rng, len(candidates), EUR_CUSTOMER_SHARE)]
    east = owners.of_team(EAST)
    comp.is_eur[eur] = True
    comp.city[eur] = -1
    comp.eu_city[eur] = rng.integers(0, len(EU_CITIES), len(eur))
    comp.owner[eur] = east[rng.integers(0, len(east), len(eur))]


def _assign_owners(rng, deals: _Deals, comp: _Companies, owners: _Owners) -> np.ndarray:
    """The company's owner on ~85% of deals, another rep of the same side otherwise;
    ~2% of demand deals unassigned."""
    n = len(deals)
    owner = comp.owner[deals.company].copy()
    demand = np.concatenate([owners.of_team(EAST), owners.of_team(WEST)])
    supply = owners.of_team(SUPPLY_TEAM)
    other = np.where(deals.pipeline == 0, demand[rng.integers(0, len(demand), n)],
                     supply[rng.integers(0, len(supply), n)])
    owner = np.where(rng.random(n) < 0.15, other, owner)
    owner[(deals.pipeline == 0) & (rng.random(n) < 0.02)] = -1
    return owner


def _deal_plan(scale: float, comp: _Companies, owners: _Owners, seed: int) -> _Deals:
    """All deals, sorted by create time, with soft-deleted duplicates appended."""
    rng = _rng(seed, "deals")
    customers = np.flatnonzero(comp.kind == CUSTOMER)
    prospects = np.flatnonzero(comp.kind == PROSPECT)
    venues = np.flatnonzero(comp.kind == VENUE)
    cust = _customer_deals(rng, customers)
    won = cust.take(np.flatnonzero(cust.outcome == WON))
    already_lost = int((cust.outcome == LOST).sum())
    n_lost = max(0, int(round(len(won) * (1 - TARGET_WIN_RATE) / TARGET_WIN_RATE)) - already_lost)
    parts = [cust, _other_lost_deals(rng, won, n_lost, prospects),
             _new_logo_open_deals(rng, _count(NEW_LOGO_OPEN_PER_SCALE, scale), prospects),
             _supply_deals(rng, venues)]
    deals = _Deals.concat(parts)
    deals = deals.take(np.lexsort((deals.close, deals.create)))
    _make_eur(rng, comp, np.unique(won.company), owners)
    deals.owner = _assign_owners(rng, deals, comp, owners)
    deals.is_deleted = np.zeros(len(deals), dtype=bool)
    dup = deals.take(np.flatnonzero(_at_least_one(rng, len(deals), DELETED_DEAL_SHARE)))
    dup.is_deleted = np.ones(len(dup), dtype=bool)
    dup.months = np.zeros(len(dup), np.int8)  # never billed
    return _Deals.concat([deals, dup])


def _deal_names(deals: _Deals, comp: _Companies, clock: _Clock) -> pd.Series:
    close = clock.ts(deals.close)
    month = close.astype("datetime64[M]").astype(np.int64) % 12
    year = (close.astype("datetime64[Y]").astype(np.int64) + 1970).astype(str)
    create_year = (clock.ts(deals.create).astype("datetime64[Y]").astype(np.int64) + 1970).astype(str)
    company = comp.name.to_numpy(dtype=object)[deals.company]
    demand = (company + " — " + _pick(SEASONS_BY_MONTH, month) + " "
              + _pick(CAMPAIGNS, np.maximum(deals.campaign, 0)) + " " + year.astype(object))
    supply = company + " — Venue Onboarding " + create_year.astype(object)
    return pd.Series(np.where(deals.pipeline == 0, demand, supply), dtype="str")


def _deal_frames(deals: _Deals, comp: _Companies, owners: _Owners, clock: _Clock, seed: int) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "deal_frames")
    n = len(deals)
    deal_ids = _deal_ids(n)
    venues = rng.integers(5, 41, n)
    description = np.where(
        deals.pipeline == 0,
        _pick(CAMPAIGNS, np.maximum(deals.campaign, 0)) + " campaign across " + venues.astype(str).astype(object)
        + " venues",
        "Venue partnership: sampling space, audience data and event calendar",
    )
    deal = _frame("hubspot", "deal", {
        "deal_id": deal_ids,
        "is_deleted": deals.is_deleted,
        "deal_pipeline_id": np.where(deals.pipeline == 0, DEMAND_PIPELINE, SUPPLY_PIPELINE).astype(object),
        "deal_pipeline_stage_id": _stage_ids(deals.pipeline, _current_stage_code(deals)),
        "owner_id": _nullable_int(owners.ids[np.maximum(deals.owner, 0)], deals.owner < 0),
        "portal_id": PORTAL_ID,
        "property_dealname": _deal_names(deals, comp, clock),
        "property_description": description,
        "property_amount": deals.amount,
        "property_closedate": np.where(_undated(deals, seed), np.datetime64("NaT"), clock.ts(deals.close)),
        "property_createdate": clock.ts(deals.create),
    })
    company_ids = _company_ids(len(comp))
    deal_company = _frame("hubspot", "deal_company", {
        "company_id": company_ids[deals.company],
        "deal_id": deal_ids,
        "type_id": 5,
        "category": "HUBSPOT_DEFINED",
    })
    return {"deal": deal, "deal_company": deal_company,
            "deal_stage": _deal_stage_frame(rng, deals, deal_ids, owners, clock)}


def _undated(deals: _Deals, seed: int) -> np.ndarray:
    """Mask of the deals whose CRM close date is empty: a few open sales-pipeline deals planned to
    close after the as-of quarter (> 92 days out), so this quarter's pipeline is unchanged."""
    later = np.flatnonzero((deals.pipeline == 0) & (deals.outcome == OPEN) & (deals.close > 92 * DAY)
                           & ~deals.is_deleted)
    mask = np.zeros(len(deals), dtype=bool)
    mask[later[_at_least_one(_rng(seed, "undated"), len(later), UNDATED_OPEN_DEAL_SHARE)]] = True
    return mask


def _stage_ids(pipeline: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Stage ids for (pipeline, stage code) pairs; codes index the pipeline's stage list."""
    demand = np.array([s[0] for s in DEMAND_STAGES], dtype=object)
    supply = np.array([s[0] for s in SUPPLY_STAGES], dtype=object)
    return np.where(pipeline == 0, demand[np.minimum(code, len(demand) - 1)], supply[np.minimum(code, len(supply) - 1)])


def _current_stage_code(deals: _Deals) -> np.ndarray:
    """Stage code (index into the pipeline's stage list) the deal is in now."""
    n_open = np.where(deals.pipeline == 0, DEMAND_OPEN, SUPPLY_OPEN)
    return np.where(deals.outcome == WON, n_open,
                    np.where(deals.outcome == LOST, n_open + 1, deals.rank)).astype(np.int64)


def _deal_stage_frame(rng, deals: _Deals, deal_ids: np.ndarray, owners: _Owners, clock: _Clock) -> pd.DataFrame:
    """Fivetran history-mode stage entries: open stages 0..rank in order (entered between
    create and close, or the as-of date for open deals), then the closed stage at the
    close time for closed deals."""
    closed = deals.outcome != OPEN
    n_rows = deals.rank.astype(np.int64) + 1 + closed
    d = np.repeat(np.arange(len(deals)), n_rows)
    first = np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    k = np.arange(len(d)) - first
    last = k == n_rows[d] - 1
    n_open_entries = deals.rank[d].astype(np.int64) + 1
    end = np.where(closed[d], deals.close[d], 12 * 3600)  # open deals: stages entered by as-of noon
    span = end - deals.create[d]
    frac = (k - 0.4 + 0.8 * rng.random(len(d))) / n_open_entries
    start = np.where(k == 0, deals.create[d], deals.create[d] + (span * frac).astype(np.int64))
    terminal = closed[d] & last
    start = np.where(terminal, deals.close[d], start)
    value = _stage_ids(deals.pipeline[d], np.where(terminal, _current_stage_code(deals)[d], k))
    start_ts = clock.ts(start)
    end_ts = np.where(last, FIVETRAN_END_OPEN, np.roll(start_ts, -1))
    user_ids = np.array([str(u) for u in owners.user_ids] + [None], dtype=object)
    source_id = user_ids[np.where(deals.owner[d] >= 0, deals.owner[d], len(owners.user_ids))]
    return _frame("hubspot", "deal_stage", {
        "_fivetran_start": start_ts,
        "deal_id": deal_ids[d],
        "_fivetran_active": last,
        "_fivetran_end": end_ts,
        "_fivetran_synced": clock.synced(rng, np.where(last, start, np.roll(start, -1))),
        "date_entered": start_ts,
        "source": "CRM_UI",
        "source_id": source_id,
        "value": value,
    })


def _pipeline_frames(clock: _Clock) -> dict[str, pd.DataFrame]:
    created = clock.ts(np.array([-(HORIZON_DAYS + 60) * DAY + 15 * 3600]))[0]
    updated = clock.ts(np.array([-200 * DAY + 16 * 3600]))[0]
    synced = clock.ts(np.array([clock.sync - 3600]))[0]
    pipeline = _frame("hubspot", "deal_pipeline", {
        "pipeline_id": np.array([DEMAND_PIPELINE, SUPPLY_PIPELINE], dtype=object),
        "_fivetran_deleted": False,
        "_fivetran_synced": synced,
        "active": True,
        "display_order": np.array([0, 1]),
        "label": np.array(["Sales Pipeline", "Supply Onboarding"], dtype=object),
        "created_at": created,
        "updated_at": updated,
    }, n=2)
    rows = ([(DEMAND_PIPELINE, i, s) for i, s in enumerate(DEMAND_STAGES)]
            + [(SUPPLY_PIPELINE, i, s) for i, s in enumerate(SUPPLY_STAGES)]
            + [(DEMAND_PIPELINE, 99, RETIRED_STAGE)])
    n = len(rows)
    stage = _frame("hubspot", "deal_pipeline_stage", {
        "_fivetran_deleted": np.array([r[2] is RETIRED_STAGE for r in rows]),
        "_fivetran_synced": synced,
        "active": np.array([r[2] is not RETIRED_STAGE for r in rows]),
        "closed_won": np.array([r[2][4] for r in rows]),
        "is_closed": np.array([r[2][3] for r in rows]),
        "display_order": np.array([r[1] for r in rows]),
        "probability": np.array([r[2][2] for r in rows], dtype=float),
        "stage_id": np.array([r[2][0] for r in rows], dtype=object),
        "label": np.array([r[2][1] for r in rows], dtype=object),
        "pipeline_id": np.array([r[0] for r in rows], dtype=object),
        "created_at": created,
        "updated_at": updated,
    }, n=n)
    return {"deal_pipeline": pipeline, "deal_pipeline_stage": stage}


# --------------------------------------------------------------------------------------
# Company and contact frames
# --------------------------------------------------------------------------------------


def _company_ids(n: int) -> np.ndarray:
    return 9_000_000_001 + np.arange(n, dtype=np.int64) * 7


def _company_created(rng, comp: _Companies, deals: _Deals) -> np.ndarray:
    """Seconds: 5–120 days before the company's first deal was created (uniform over the
    history for companies without deals)."""
    n = len(comp)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, deals.company, deals.create)
    fallback = rng.integers(-HORIZON_DAYS, -1, n) * DAY
    first = np.where(first == np.iinfo(np.int64).max, fallback, first)
    return (np.floor(first / DAY) - rng.integers(5, 121, n)) * DAY + _time_of_day(rng, n)


def _company_frame(comp: _Companies, created: np.ndarray, clock: _Clock, seed: int) -> pd.DataFrame:
    rng = _rng(seed, "company_frame")
    n = len(comp)
    us = comp.city >= 0
    city = np.where(us, _pick([c[0] for c in US_CITIES], comp.city), _pick([c[0] for c in EU_CITIES], comp.eu_city))
    state = np.where(us, _pick([c[1] for c in US_CITIES], comp.city), None)
    country = np.where(us, "United States", _pick([c[1] for c in EU_CITIES], comp.eu_city))
    industry = _pick(INDUSTRIES, comp.industry)
    is_venue = comp.kind == VENUE
    description = np.where(is_venue, industry + " venue partner", industry + " brand")
    revenue = np.where(is_venue, np.nan, np.round(rng.lognormal(np.log(80e6), 1.2, n), -3))
    return _frame("hubspot", "company", {
        "id": _company_ids(n),
        "is_deleted": comp.kind == DUPLICATE,
        "_fivetran_synced": clock.synced(rng, np.maximum(created, -30 * DAY)),
        "property_name": comp.name,
        "property_description": description,
        "property_createdate": clock.ts(created),
        "property_industry": industry,
        "property_city": city,
        "property_state": state,
        "property_country": country,
        "property_annualrevenue": revenue,
    })


LIFECYCLE_MQL_SKIP_SHARE = 0.12  # primary contacts made SQL without ever being marked MQL
OTHER_CONTACT_MQL_SHARE, OTHER_CONTACT_SQL_SHARE = 0.5, 0.15  # a brand's other contacts: → MQL, MQL → SQL


def _lifecycle_dates(comp: _Companies, created: np.ndarray, deals: _Deals, c: np.ndarray,
                     contact_created: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Seconds (NaN = never) at which each contact entered the lead funnel's lifecycle stages, from its
    own random stream (the other contact columns are unchanged), consistent with the company's deals:

    * a brand with a (live) demand deal: its first contact (the primary) became a lead 0–3 days after
      the company was created, MQL and SQL between then and the first deal (12 % skip MQL: SQL with no
      MQL date), Opportunity when the first deal was created and Customer when the first deal was won
      (a brand that never won stops at Opportunity);
    * every other brand contact is a lead when created; 50 % become MQL (lognormal, median 20 days
      later) and 15 % of those SQL (median 15 days after that), never later stages;
    * venue contacts are supply partners, not leads: no dates. Nothing is dated after the as-of day."""
    rng = _rng(seed, "lifecycle")
    n, n_comp = len(c), len(comp)
    live = ~deals.is_deleted & (deals.pipeline == 0)
    big = np.iinfo(np.int64).max
    first_deal = np.full(n_comp, big)
    np.minimum.at(first_deal, deals.company[live], deals.create[live])
    won = live & (deals.outcome == WON)
    first_won = np.full(n_comp, big)
    np.minimum.at(first_won, deals.company[won], deals.close[won])
    brand = np.isin(comp.kind[c], (CUSTOMER, PROSPECT))
    primary = np.r_[True, c[1:] != c[:-1]] & brand & (first_deal[c] != big)
    u = rng.random((n, 6))
    lead = np.where(brand, contact_created.astype(float), np.nan)
    mql = np.full(n, np.nan)
    sql = np.full(n, np.nan)
    opp = np.full(n, np.nan)
    cust = np.full(n, np.nan)
    # primaries: lead → MQL → SQL → opportunity (first deal) → customer (first win)
    f = first_deal[c].astype(float)
    p_lead = np.minimum(created[c] + u[:, 0] * 3 * DAY, f - DAY)
    gap = f - p_lead
    lo, hi = np.minimum(u[:, 1], u[:, 2]), np.maximum(u[:, 1], u[:, 2])
    lead = np.where(primary, p_lead, lead)
    mql = np.where(primary & (u[:, 3] >= LIFECYCLE_MQL_SKIP_SHARE), p_lead + gap * (0.05 + 0.45 * lo), mql)
    sql = np.where(primary, p_lead + gap * (0.5 + 0.45 * hi), sql)
    opp = np.where(primary, f, opp)
    cust = np.where(primary & (first_won[c] != big), first_won[c].astype(float), cust)
    # other brand contacts: some become MQL, a few SQL
    other = brand & ~primary
    to_mql = other & (u[:, 4] < OTHER_CONTACT_MQL_SHARE)
    mql_at = lead + rng.lognormal(np.log(20), 0.8, n) * DAY
    mql = np.where(to_mql, mql_at, mql)
    sql = np.where(to_mql & (u[:, 5] < OTHER_CONTACT_SQL_SHARE), mql_at + rng.lognormal(np.log(15), 0.8, n) * DAY, sql)
    out = {}
    for name, v in (("lead", lead), ("marketingqualifiedlead", mql), ("salesqualifiedlead", sql),
                    ("opportunity", opp), ("customer", cust)):
        out[name] = np.where(v < DAY - 600, np.floor(v), np.nan)  # on or before the as-of day
    return out


def _contact_frame(comp: _Companies, created: np.ndarray, clock: _Clock, seed: int,
                   deals: _Deals | None = None) -> pd.DataFrame:
    """1–4 contacts per brand, 1–3 per venue; ~2% soft-deleted; lifecycle stage dates from the
    company's deals (``_lifecycle_dates``)."""
    rng = _rng(seed, "contacts")
    n_comp = len(comp)
    is_venue = comp.kind == VENUE
    per = np.where(is_venue, rng.integers(1, 4, n_comp), rng.integers(1, 5, n_comp))
    c = np.repeat(np.arange(n_comp), per)
    n = len(c)
    first = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
    domain = _slug(comp.name).to_numpy(dtype=object)[c]
    email = _concat_str(first, ".", last, "@", domain, ".com").str.lower()
    titles = np.where(is_venue[c], np.array(SUPPLY_TITLES, dtype=object)[rng.integers(0, len(SUPPLY_TITLES), n)],
                      np.array(DEMAND_TITLES, dtype=object)[rng.integers(0, len(DEMAND_TITLES), n)])
    contact_created = np.minimum(created[c] + rng.integers(0, 200, n) * DAY, -DAY + 12 * 3600)
    deleted = np.zeros(n, dtype=bool)
    deleted[rng.random(n) < 0.02] = True
    deleted[rng.integers(0, n)] = True
    return _frame("hubspot", "contact", {
        "id": 501 + np.arange(n, dtype=np.int64) * 2,
        "_fivetran_deleted": deleted,
        "_fivetran_synced": clock.synced(rng, np.maximum(contact_created, -30 * DAY)),
        "property_email": email,
        "property_company": comp.name.to_numpy(dtype=object)[c],
        "property_firstname": first,
        "property_lastname": last,
        "property_createdate": clock.ts(contact_created),
        "property_jobtitle": titles,
        **{f"property_hs_lifecyclestage_{stage}_date": _nullable_ts(clock, secs) for stage, secs in
           (_lifecycle_dates(comp, created, deals, c, contact_created, seed) if deals is not None else
            {s: np.full(n, np.nan) for s in ("lead", "marketingqualifiedlead", "salesqualifiedlead",
                                              "opportunity", "customer")}).items()},
    })


def _nullable_ts(clock: _Clock, secs: np.ndarray) -> pd.Series:
    """Timestamps from seconds relative to the as-of date, NaN → NaT."""
    ok = ~np.isnan(secs)
    out = np.full(len(secs), np.datetime64("NaT"), dtype="datetime64[s]")
    out[ok] = clock.ts(secs[ok].astype(np.int64))
    return pd.Series(out.astype("datetime64[us]"))


# --------------------------------------------------------------------------------------
# QuickBooks: customers and invoices follow won demand deals
# --------------------------------------------------------------------------------------


def _eur_rate(dates: np.ndarray) -> np.ndarray:
    """USD per EUR on a calendar date: a smooth deterministic curve within 1.05–1.12."""
    d = dates.astype("datetime64[D]").astype(np.int64).astype(float)
    rate = 1.085 + 0.022 * np.sin(2 * np.pi * d / 410 + 0.7) + 0.008 * np.sin(2 * np.pi * d / 37)
    return np.round(np.clip(rate, 1.05, 1.12), 4)


def _customer_type_frame(clock: _Clock, seed: int) -> pd.DataFrame:
    rng = _rng(seed, "customer_types")
    n = len(DEMAND_INDUSTRIES)
    created = np.full(n, -(HORIZON_DAYS + 30) * DAY + 15 * 3600)
    return _frame("quickbooks", "customer_type", {
        "id": np.arange(1, n + 1),
        "_fivetran_synced": clock.synced(rng, created),
        "active": True,
        "created_at": clock.ts(created),
        "name": np.array(DEMAND_INDUSTRIES, dtype=object),
        "updated_at": clock.ts(created),
        "_fivetran_deleted": False,
    })


@dataclass
class _Invoices:
    """Per-invoice arrays."""

    deal: np.ndarray  # index into the deals
    company: np.ndarray
    day: np.ndarray  # transaction day relative to the as-of date (≤ 0)
    cents: np.ndarray  # invoice total in invoice currency, integer cents
    is_eur: np.ndarray
    rate: np.ndarray  # exchange rate, USD per invoice-currency unit (NaN = NULL)

    def take(self, idx: np.ndarray) -> "_Invoices":
        return _Invoices(*(getattr(self, f.name)[idx] for f in fields(self)))


def _invoices(rng, deals: _Deals, comp: _Companies, clock: _Clock) -> _Invoices:
    """Monthly invoices of each won demand deal: ``months`` invoices, the first on the
    close date, the others on the same day of the following months (at most the 28th),
    splitting the amount in whole cents (the first absorbs the remainder). Invoices
    dated after the as-of date are not issued yet. EUR customers are billed
    amount / rate in EUR (so amount × rate ≈ the USD share); USD invoices carry
    exchange rate 1.0 or NULL."""
    won = np.flatnonzero((deals.outcome == WON) & (deals.pipeline == 0) & ~deals.is_deleted)
    months = deals.months[won].astype(np.int64)
    pos = np.repeat(np.arange(len(won)), months)
    w = won[pos]
    i = np.arange(len(w)) - np.repeat(np.cumsum(months) - months, months)
    close_date = clock.date(np.floor(deals.close[w] / DAY).astype(np.int64))
    month_start = close_date.astype("datetime64[M]")
    day_of_month = close_date - month_start.astype("datetime64[D]")
    later = (month_start + i.astype("timedelta64[M]")).astype("datetime64[D]") + np.minimum(
        day_of_month, np.timedelta64(27, "D"))
    day = clock.days(np.where(i == 0, close_date, later))

    total_cents = np.round(deals.amount[w] * 100).astype(np.int64)
    m = months[pos]
    cents = total_cents // m + np.where(i == 0, total_cents % m, 0)
    is_eur = comp.is_eur[deals.company[w]]
    rate = np.where(is_eur, _eur_rate(clock.date(day)), np.where(rng.random(len(w)) < 0.6, 1.0, np.nan))
    cents = np.where(is_eur, np.round(cents / np.where(is_eur, rate, 1.0)), cents).astype(np.int64)
    inv = _Invoices(w, deals.company[w], day, cents, is_eur, rate)
    return inv.take(np.flatnonzero(day <= 0))


def _invoice_lines(rng, inv_ids: np.ndarray, cents: np.ndarray, clock: _Clock, synced_secs: np.ndarray) -> pd.DataFrame:
    """1–3 sales lines per invoice (venue fees: quantity = venues; staffing: quantity =
    hours; campaign management: quantity 1 taking the remainder), each amount = quantity
    × unit price exactly in cents, then one SubTotalLineDetail line with the total."""
    n = len(inv_ids)
    k = rng.choice([1, 2, 3], n, p=[0.25, 0.45, 0.30])
    rows = k + 1
    inv = np.repeat(np.arange(n), rows)
    j = np.arange(len(inv)) - np.repeat(np.cumsum(rows) - rows, rows)
    k_r = k[inv]
    is_sub = j == k_r
    is_mgmt = j == k_r - 1
    item_code = np.where(is_sub, -1, np.where(is_mgmt, 2, j))  # 0 venues, 1 staffing, 2 management
    # Target shares of the non-management lines.
    share = np.where(item_code == 0, rng.uniform(0.35, 0.55, len(inv)), rng.uniform(0.15, 0.25, len(inv)))
    qty = np.where(item_code == 0, rng.integers(5, 41, len(inv)), rng.integers(10, 201, len(inv)))
    qty = np.where(is_mgmt | is_sub, 1, qty).astype(np.int64)
    unit = np.floor(cents[inv] * share / qty).astype(np.int64)
    line = qty * unit
    # Management line = total − other sales lines of the invoice.
    other = np.where(~is_mgmt & ~is_sub, line, 0)
    other_sum = np.bincount(inv, weights=other, minlength=n).astype(np.int64)
    line = np.where(is_mgmt, cents[inv] - other_sum[inv], line)
    unit = np.where(is_mgmt, line, unit)
    line = np.where(is_sub, cents[inv], line)
    items = [ITEM_VENUES, ITEM_STAFF, ITEM_MANAGEMENT]
    sales = ~is_sub
    return _frame("quickbooks", "invoice_line", {
        "index": j,
        "invoice_id": inv_ids[inv],
        "_fivetran_synced": clock.ts(synced_secs[inv]),
        "amount": line / 100.0,
        "description": _pick([it[1] for it in items], item_code),
        "sales_item_item_id": _nullable_int(np.array([it[0] for it in items])[np.maximum(item_code, 0)], ~sales),
        "sales_item_quantity": np.where(sales, qty.astype(float), np.nan),
        "sales_item_unit_price": np.where(sales, unit / 100.0, np.nan),
        "detail_type": np.where(sales, "SalesItemLineDetail", "SubTotalLineDetail").astype(object),
    })


def _customer_ids(deals: _Deals, n_companies: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """QuickBooks customer id per company (0 = not a customer: never won a demand deal),
    numbered 1, 2, … in order of first win; plus each company's first and last win time."""
    won = np.flatnonzero((deals.outcome == WON) & (deals.pipeline == 0) & ~deals.is_deleted)
    first_win = np.full(n_companies, np.iinfo(np.int64).max)
    np.minimum.at(first_win, deals.company[won], deals.close[won])
    last_win = np.full(n_companies, np.iinfo(np.int64).min)
    np.maximum.at(last_win, deals.company[won], deals.close[won])
    companies = np.flatnonzero(first_win < np.iinfo(np.int64).max)
    companies = companies[np.lexsort((companies, first_win[companies]))]
    customer_id = np.zeros(n_companies, np.int64)
    customer_id[companies] = np.arange(1, len(companies) + 1)
    return customer_id, first_win, last_win


def _with_voided_duplicates(rng, inv: _Invoices) -> tuple[_Invoices, np.ndarray, pd.Series]:
    """Invoices in date order plus ~1% voided copies at the end. Returns the invoices,
    the soft-deleted flags and doc numbers ("1000", …; a voided copy is "<doc>-V")."""
    inv = inv.take(np.lexsort((inv.deal, inv.day)))
    n = len(inv.day)
    dup = np.flatnonzero(_at_least_one(rng, n, DELETED_INVOICE_SHARE))
    src = np.concatenate([np.arange(n), dup])
    deleted = np.concatenate([np.zeros(n, bool), np.ones(len(dup), bool)])
    doc = pd.Series((1_000 + src).astype(str), dtype="str")
    return inv.take(src), deleted, doc.where(~deleted, doc + "-V")


def _invoice_frame(rng, inv: _Invoices, deleted: np.ndarray, doc: pd.Series, customer_id: np.ndarray,
                   clock: _Clock) -> tuple[pd.DataFrame, np.ndarray]:
    """The invoice table (ids 1001, …) and each invoice's sync time (seconds), which its
    lines share. Invoices younger than OPEN_BALANCE_DAYS are unpaid (balance = total);
    older ones were paid 10–40 days after issue; voided copies were voided within days."""
    n = len(inv.day)
    total = inv.cents / 100.0
    unpaid = inv.day > -OPEN_BALANCE_DAYS
    balance = np.where(unpaid, total, 0.0)
    created = inv.day * DAY + _time_of_day(rng, n, 14, 20)
    updated = np.where(unpaid, created, created + rng.integers(10, 40, n) * DAY)
    updated = np.where(deleted, np.minimum(created + rng.integers(1, 5, n) * DAY, clock.sync), updated)
    synced = clock.synced_secs(rng, updated)
    frame = _frame("quickbooks", "invoice", {
        "id": 1_001 + np.arange(n, dtype=np.int64),
        "_fivetran_deleted": deleted,
        "_fivetran_synced": clock.ts(synced),
        "balance": balance,
        "created_at": clock.ts(created),
        "currency_id": np.where(inv.is_eur, "EUR", "USD").astype(object),
        "customer_id": customer_id[inv.company],
        "doc_number": doc,
        "due_date": clock.date(inv.day + 30),
        "exchange_rate": inv.rate,
        "home_balance": np.where(inv.is_eur, np.round(balance * np.nan_to_num(inv.rate), 2), np.nan),
        "home_total_amount": np.nan,
        "total_amount": total,
        "transaction_date": clock.date(inv.day),
        "updated_at": clock.ts(updated),
    })
    return frame, synced


def _customer_frame(rng, comp: _Companies, customer_id: np.ndarray, first_win: np.ndarray, last_win: np.ndarray,
                    invoice: pd.DataFrame, inv: _Invoices, clock: _Clock) -> pd.DataFrame:
    """One customer per company that ever won a demand deal, created the morning of its
    first win, named like the HubSpot company, typed by its industry; inactive once it
    has not won for 18 months; balance = its open invoices."""
    live = ~invoice["_fivetran_deleted"].to_numpy(dtype=bool)
    balance = np.bincount(inv.company[live], weights=invoice["balance"].to_numpy()[live], minlength=len(comp))
    last_invoice_day = np.full(len(comp), -2 * HORIZON_DAYS)
    np.maximum.at(last_invoice_day, inv.company[live], inv.day[live])
    c = np.flatnonzero(customer_id)
    created = np.floor(first_win[c] / DAY).astype(np.int64) * DAY + _time_of_day(rng, len(c), 8, 13)
    updated = np.maximum(created, last_invoice_day[c] * DAY + 18 * 3600)
    name = comp.name.to_numpy(dtype=object)[c]
    return _frame("quickbooks", "customer", {
        "id": customer_id[c],
        "_fivetran_synced": clock.synced(rng, updated),
        "active": last_win[c] > -540 * DAY,
        "balance": np.round(balance[c], 2),
        "company_name": name,
        "created_at": clock.ts(created),
        "currency_id": np.where(comp.is_eur[c], "EUR", "USD").astype(object),
        "display_name": name,
        "email": "ap@" + _slug(comp.name).to_numpy(dtype=object)[c] + ".com",
        "fully_qualified_name": name,
        "updated_at": clock.ts(updated),
        "_fivetran_deleted": False,
        "customer_type_id": comp.industry[c] + 1,  # customer_type ids follow DEMAND_INDUSTRIES
    })


def _quickbooks_frames(deals: _Deals, comp: _Companies, clock: _Clock, seed: int) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "quickbooks")
    customer_id, first_win, last_win = _customer_ids(deals, len(comp))
    inv, deleted, doc = _with_voided_duplicates(rng, _invoices(rng, deals, comp, clock))
    invoice, synced = _invoice_frame(rng, inv, deleted, doc, customer_id, clock)
    return {
        "customer_type": _customer_type_frame(clock, seed),
        "customer": _customer_frame(rng, comp, customer_id, first_win, last_win, invoice, inv, clock),
        "invoice": invoice,
        "invoice_line": _invoice_lines(rng, invoice["id"].to_numpy(dtype=np.int64), inv.cents, clock, synced),
    }


# --------------------------------------------------------------------------------------
# The team pages' tables: meetings, venue inventory, the books (accounts, vendors, bills,
# purchases, bill payments) and the budget. Each draws from its own generator, after the
# deals and invoices are fixed, so the tables above (and the Company Health figures) do
# not change.
# --------------------------------------------------------------------------------------

MEETING_OUTCOMES = ["COMPLETED", "NO_SHOW", "RESCHEDULED", "CANCELED"]
MEETING_OUTCOME_WEIGHTS = [0.85, 0.04, 0.05, 0.06]
DEMAND_MEETING_TITLES = ["Discovery call", "Proposal review", "Campaign planning", "Negotiation call",
                         "Campaign kickoff"]
SUPPLY_MEETING_TITLES = ["Intro call", "Site visit", "Onboarding kickoff", "Contract review", "Venue walkthrough"]
UPCOMING_MEETING_SHARE = (0.5, 0.7)  # open (demand, supply) deals with a meeting booked in the next 14 days

# Venue inventory: HubSpot industry → app event type; spaces per venue (max), capacity
# (median people per activation, lognormal sigma) and space names.
EVENT_TYPES = {"University": "university", "Fitness Studio": "fitness", "Office": "office", "Event": "event"}
INVENTORY_SHAPE = {
    "university": (4, 800, 0.6, ["Student Union", "Main Quad", "Recreation Center", "Dining Hall", "Library Plaza"]),
    "fitness": (2, 60, 0.4, ["Studio A", "Studio B", "Front Lobby", "Cycle Room"]),
    "office": (3, 300, 0.5, ["Lobby", "Cafeteria", "Rooftop Terrace", "Atrium"]),
    "event": (2, 2_500, 0.7, ["Main Hall", "Expo Floor", "Outdoor Stage", "VIP Lounge"]),
}
VENUE_OFFBOARD_HAZARD_PER_YEAR = 0.08
DELETED_INVENTORY_SHARE = 0.01

# QuickBooks chart of accounts:
# (id, number, name, parent id, account_type, account_sub_type, classification, currency)
ACCOUNTS = [
    (1, "1000", "Operating Checking", None, "Bank", "Checking", "Asset", "USD"),
    (2, "1010", "Reserve Savings", None, "Bank", "Savings", "Asset", "USD"),
    (3, "1100", "Accounts Receivable (A/R)", None, "Accounts Receivable", "AccountsReceivable", "Asset", "USD"),
    (4, "1110", "Accounts Receivable (A/R) - EUR", None, "Accounts Receivable", "AccountsReceivable", "Asset", "EUR"),
    (5, "1200", "Prepaid Expenses", None, "Other Current Asset", "PrepaidExpenses", "Asset", "USD"),
    (6, "1210", "Undeposited Funds", None, "Other Current Asset", "UndepositedFunds", "Asset", "USD"),
    (7, "1500", "Computer Equipment", None, "Fixed Asset", "MachineryAndEquipment", "Asset", "USD"),
    (8, "2000", "Accounts Payable (A/P)", None, "Accounts Payable", "AccountsPayable", "Liability", "USD"),
    (9, "2100", "Company Card", None, "Credit Card", "CreditCard", "Liability", "USD"),
    (10, "2200", "Accrued Liabilities", None, "Other Current Liability", "AccruedLiabilities", "Liability", "USD"),
    (11, "2210", "Payroll Liabilities", None, "Other Current Liability", "PayrollTaxPayable", "Liability", "USD"),
    (12, "2220", "Sales Tax Payable", None, "Other Current Liability", "SalesTaxPayable", "Liability", "USD"),
    (13, "2700", "Term Loan", None, "Long Term Liability", "NotesPayable", "Liability", "USD"),
    (14, "3000", "Retained Earnings", None, "Equity", "RetainedEarnings", "Equity", "USD"),
    (15, "4000", "Campaign Revenue", None, "Income", "ServiceFeeIncome", "Revenue", "USD"),
    (16, "5000", "Venue Fees", None, "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense", "USD"),
    (17, "5100", "Brand Ambassador Staffing", None, "Cost of Goods Sold", "CostOfLaborCos", "Expense", "USD"),
    (18, "6000", "Software & Subscriptions", None, "Expense", "OtherMiscellaneousServiceCost", "Expense", "USD"),
    (19, "6100", "Rent & Facilities", None, "Expense", "RentOrLeaseOfBuildings", "Expense", "USD"),
    (20, "6200", "Marketing & Advertising", None, "Expense", "AdvertisingPromotional", "Expense", "USD"),
    (21, "6300", "Travel & Meals", None, "Expense", "Travel", "Expense", "USD"),
    (22, "6310", "Airfare", 21, "Expense", "Travel", "Expense", "USD"),
    (23, "6400", "Professional Services", None, "Expense", "LegalProfessionalFees", "Expense", "USD"),
    (24, "6500", "Contractors", None, "Expense", "OtherMiscellaneousServiceCost", "Expense", "USD"),
    (25, "6600", "Insurance", None, "Expense", "Insurance", "Expense", "USD"),
    (26, "6700", "Office & Supplies", None, "Expense", "OfficeGeneralAdministrativeExpenses", "Expense", "USD"),
    (27, "7000", "Bank Fees & Interest", None, "Other Expense", "BankCharges", "Expense", "USD"),
    (28, "1001", "Old Checking (closed)", None, "Bank", "Checking", "Asset", "USD"),  # soft-deleted
]
ACC_CHECKING, ACC_SAVINGS, ACC_AR, ACC_AR_EUR, ACC_PREPAID, ACC_UNDEPOSITED, ACC_EQUIPMENT = 1, 2, 3, 4, 5, 6, 7
ACC_AP, ACC_CARD, ACC_ACCRUED, ACC_PAYROLL, ACC_SALES_TAX, ACC_LOAN = 8, 9, 10, 11, 12, 13
ACC_VENUE_FEES, ACC_STAFFING, ACC_AIRFARE, ACC_BANK_FEES, ACC_DELETED = 16, 17, 22, 27, 28

# Operating expense categories (the top-level Expense accounts): monthly budget at scale 1 in the
# as-of year, how it is paid (card purchases or vendor bills), transactions a month at scale 1,
# actual ÷ budget tendency, payment terms (days to due) and vendors.
OPEX = [
    (18, 38_000, "card", 14, 1.06, 0, ["Google Workspace", "Slack", "Zoom", "Notion", "Figma", "Atlassian",
                                       "Amazon Web Services", "Datadog", "DocuSign", "Gusto", "Canva", "Loom"]),
    (19, 52_000, "bill", 2, 1.00, 0, ["Harborview Properties", "Westside Commons Realty"]),
    (20, 65_000, "bill", 6, 1.12, 30, ["Google Ads", "LinkedIn Ads", "Meta Ads", "PrintWorks Co.",
                                       "Expo Services Group", "Brandlab Agency"]),
    (21, 24_000, "card", 30, 0.88, 0, ["Delta Air Lines", "United Airlines", "Marriott", "Hilton", "Uber",
                                       "Lyft", "Sweetgreen"]),
    (23, 30_000, "bill", 3, 1.15, 30, ["Baker & Stone LLP", "Ledger Partners CPA", "Northwind Advisors"]),
    (24, 42_000, "bill", 5, 0.95, 15, ["Pixel Forge Studio", "DataBridge Consulting", "Copydesk Freelance",
                                       "Upwork"]),
    (25, 9_000, "bill", 1, 1.00, 15, ["Sentinel Insurance"]),
    (26, 8_000, "card", 10, 0.92, 0, ["Staples", "Amazon Business", "Uline", "Office Depot"]),
]
STAFFING_AGENCIES = ["Brightside Staffing", "Campus Crew Agency", "Street Team Partners"]
VENUE_FEE_SHARE, STAFFING_SHARE = 0.30, 0.15  # of the month's invoiced revenue, paid to venues / agencies
VENUE_BILL_USD, STAFFING_BILLS_PER_MONTH = 12_000, 12
OPEX_GROWTH_PER_YEAR = 0.20
LATE_BILL_SHARE = 0.06
DELETED_BILL_SHARE = 0.01


def _dates_of(column: pd.Series) -> np.ndarray:
    """A DATE frame column (Arrow date32, NULL-free) as ``datetime64[D]`` values, converted by Arrow
    (pandas' own conversion of Arrow dates goes value by value)."""
    return pa.array(column).cast(pa.int32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")


def _deal_ids(n: int) -> np.ndarray:
    """HubSpot ``deal_id`` of the deals in plan order (ids increase with create time)."""
    return 12_000_000_001 + np.arange(n, dtype=np.int64) * 3


def _meeting_frames(deals: _Deals, comp: _Companies, owners: _Owners, clock: _Clock,
                    seed: int) -> dict[str, pd.DataFrame]:
    """HubSpot meetings (legacy engagement_meeting layout) and their deal associations: 1–3
    past meetings per deal between its creation and its close (or the as-of date), and for
    open deals, with probability 0.5 (demand) / 0.7 (supply), one booked in the next 14 days.
    Past meetings are completed (85%), no-shows, rescheduled or cancelled; booked ones are
    SCHEDULED."""
    rng = _rng(seed, "meetings")
    live = np.flatnonzero(~deals.is_deleted)
    n_past = rng.integers(1, 4, len(live))
    d_past = np.repeat(live, n_past)
    lo = deals.create[d_past]
    hi = np.maximum(np.minimum(deals.close[d_past], clock.sync - 3600), lo)
    past_day = np.floor((lo + rng.random(len(d_past)) * (hi - lo)) / DAY).astype(np.int64)
    is_open = deals.outcome[live] == OPEN
    share = np.where(deals.pipeline[live] == 0, UPCOMING_MEETING_SHARE[0], UPCOMING_MEETING_SHARE[1])
    d_next = live[is_open & (rng.random(len(live)) < share)]
    next_day = rng.integers(1, 15, len(d_next))
    d = np.concatenate([d_past, d_next])
    day = np.concatenate([past_day, next_day])
    start = day * DAY + rng.integers(26, 44, len(d)) * 1800  # on the half hour, 13:00–21:30 UTC
    order = np.lexsort((d, start))
    d, day, start = d[order], day[order], start[order]
    n = len(d)
    end = start + rng.choice([1800, 2700, 3600], n)
    outcome = np.where(day > 0, "SCHEDULED",
                       _pick(MEETING_OUTCOMES, rng.choice(len(MEETING_OUTCOMES), n, p=MEETING_OUTCOME_WEIGHTS)))
    supply = deals.pipeline[d] == 1
    titles = np.where(supply, _pick(SUPPLY_MEETING_TITLES, rng.integers(0, len(SUPPLY_MEETING_TITLES), n)),
                      _pick(DEMAND_MEETING_TITLES, rng.integers(0, len(DEMAND_MEETING_TITLES), n)))
    company = comp.name.to_numpy(dtype=object)[deals.company[d]]
    user_ids = np.array([str(u) for u in owners.user_ids] + [None], dtype=object)
    source_id = user_ids[np.where(deals.owner[d] >= 0, deals.owner[d], len(owners.user_ids))]
    ids = 31_000_000_001 + np.arange(n, dtype=np.int64) * 7
    synced = clock.synced(rng, np.minimum(end, clock.sync))
    meeting = _frame("hubspot", "engagement_meeting", {
        "engagement_id": ids,
        "_fivetran_synced": synced,
        "start_time": clock.ts(start),
        "end_time": clock.ts(end),
        "title": _concat_str(titles, " — ", company),
        "body": np.where(supply, "Venue partnership: spaces, calendar and activation logistics",
                         "Campaign goals, venues, timing and budget").astype(object),
        "meeting_outcome": outcome.astype(object),
        "source": np.where(rng.random(n) < 0.3, "MEETINGS_PUBLIC", "CRM_UI").astype(object),
        "source_id": source_id,
    })
    deal_link = _frame("hubspot", "engagement_deal", {
        "deal_id": _deal_ids(len(deals))[d],
        "engagement_id": ids,
        "engagement_type": "MEETING",
        "type_id": 212,
        "_fivetran_synced": synced,
        "category": "HUBSPOT_DEFINED",
    })
    return {"engagement_meeting": meeting, "engagement_deal": deal_link}


def _venues_live(deals: _Deals) -> np.ndarray:
    """Indexes of the onboarded venues' deals (won supply deals, not deleted), by close time."""
    won = np.flatnonzero((deals.pipeline == 1) & (deals.outcome == WON) & ~deals.is_deleted)
    return won[np.argsort(deals.close[won], kind="stable")]


def _inventory_frame(deals: _Deals, comp: _Companies, clock: _Clock, seed: int) -> pd.DataFrame:
    """marketplace.inventory: the spaces of every onboarded venue. The first goes live 0–7 days
    after the supply deal is won (if that is on or before the as-of date); a venue has up to
    2–4 spaces (by event type), the others added 14–400 days later; a venue leaves the
    marketplace at 8% a year (all its spaces offboarded). ~1% soft-deleted duplicate rows."""
    rng = _rng(seed, "inventory")
    v = _venues_live(deals)
    golive = np.floor(deals.close[v] / DAY).astype(np.int64) + rng.integers(0, 8, len(v))
    v, golive = v[golive <= 0], golive[golive <= 0]
    event = np.array([EVENT_TYPES[INDUSTRIES[i]] for i in comp.industry[deals.company[v]]], dtype=object)
    max_spaces = np.array([INVENTORY_SHAPE[e][0] for e in event])
    n_spaces = 1 + np.floor(rng.random(len(v)) ** 1.5 * max_spaces).astype(np.int64)
    n_spaces = np.minimum(n_spaces, max_spaces)
    offboard = golive + np.ceil(rng.exponential(365 / VENUE_OFFBOARD_HAZARD_PER_YEAR, len(v))).astype(np.int64)
    s = np.repeat(np.arange(len(v)), n_spaces)
    k = np.arange(len(s)) - np.repeat(np.cumsum(n_spaces) - n_spaces, n_spaces)
    onboarded = np.where(k == 0, golive[s], golive[s] + rng.integers(14, 401, len(s)))
    keep = (onboarded <= 0) & (onboarded < offboard[s])
    s, k, onboarded = s[keep], k[keep], onboarded[keep]
    off = np.where(offboard[s] <= 0, offboard[s], np.iinfo(np.int64).min)
    ev = event[s]
    median = np.array([INVENTORY_SHAPE[e][1] for e in ev], dtype=float)
    sigma = np.array([INVENTORY_SHAPE[e][2] for e in ev])
    capacity = np.maximum(10, np.round(rng.lognormal(np.log(median), sigma) / 10) * 10).astype(np.int64)
    names = _space_names(ev, k)
    company = deals.company[v][s]
    n = len(s)
    dup = np.flatnonzero(_at_least_one(rng, n, DELETED_INVENTORY_SHARE))
    src = np.concatenate([np.arange(n), dup])
    deleted = np.concatenate([np.zeros(n, bool), np.ones(len(dup), bool)])
    created = onboarded[src] * DAY - rng.integers(1, 10, len(src)) * DAY + _time_of_day(rng, len(src))
    has_off = off[src] > np.iinfo(np.int64).min
    updated = np.where(has_off, off[src] * DAY + 15 * 3600, onboarded[src] * DAY + 15 * 3600)
    updated = np.where(deleted, np.minimum(updated + DAY, clock.sync), updated)
    us = comp.city[company[src]] >= 0
    cities = np.where(us, _pick([c[0] for c in US_CITIES], comp.city[company[src]]),
                      _pick([c[0] for c in EU_CITIES], comp.eu_city[company[src]]))
    states = np.where(us, _pick([c[1] for c in US_CITIES], comp.city[company[src]]), None)
    return _frame("marketplace", "inventory", {
        "id": 70_001 + np.arange(len(src), dtype=np.int64),
        "venue_company_id": _company_ids(len(comp))[company[src]],
        "venue_name": comp.name.to_numpy(dtype=object)[company[src]],
        "space_name": names[src],
        "event_type": ev[src],
        "city": cities,
        "state": states,
        "capacity": capacity[src],
        "onboarded_date": clock.date(onboarded[src]),
        "offboarded_date": np.where(has_off, clock.date(np.where(has_off, off[src], 0)), np.datetime64("NaT")),
        "status": np.where(has_off, "offboarded", "live").astype(object),
        "created_at": clock.ts(created),
        "updated_at": clock.ts(updated),
        "_fivetran_deleted": deleted,
        "_fivetran_synced": clock.synced(rng, updated),
    })


def _space_names(event: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Space names for (event type, space number) pairs, vectorised."""
    out = np.empty(len(event), dtype=object)
    for e, (_, _, _, names) in INVENTORY_SHAPE.items():
        rows = np.flatnonzero(event == e)
        out[rows] = np.array(names, dtype=object)[k[rows] % len(names)]
    return out


@dataclass
class _Expenses:
    """Per-transaction arrays of the expense plan (cards and bills)."""

    account: np.ndarray  # account id the line is posted to
    vendor: np.ndarray  # vendor id
    day: np.ndarray  # transaction day relative to the as-of date (≤ 0)
    cents: np.ndarray
    channel: np.ndarray  # 0 card purchase, 1 bill, 2 bank (check/cash) purchase
    terms: np.ndarray  # days from transaction to due date (bills)

    def take(self, idx: np.ndarray) -> "_Expenses":
        return _Expenses(*(getattr(self, f.name)[idx] for f in fields(self)))

    @staticmethod
    def concat(parts: list["_Expenses"]) -> "_Expenses":
        return _Expenses(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Expenses)))


def _months(clock: _Clock) -> np.ndarray:
    """First days (datetime64[M]) of the months from the history's first to the as-of month."""
    first = (clock.origin.astype("datetime64[D]") - np.timedelta64(HORIZON_DAYS, "D")).astype("datetime64[M]")
    return np.arange(first, clock.origin.astype("datetime64[M]") + 1)


def _growth(months: np.ndarray, as_of: dt.date) -> np.ndarray:
    """Cost level of each month relative to the middle of the as-of year (grows 20% a year)."""
    offset = (months - np.datetime64(f"{as_of.year}-07", "M")).astype(np.int64) + 0.5
    return np.exp(OPEX_GROWTH_PER_YEAR * offset / 12)


def _opex_budget(level: float, months: np.ndarray, as_of: dt.date, scale: float) -> np.ndarray:
    """Budgeted USD of an operating-expense category (monthly level at scale 1 in the as-of
    year) for each month: level × 20%/year growth × scale, to the nearest $10."""
    return np.round(level * _growth(months, as_of) * scale, -1)


def _account_names(ids: np.ndarray) -> np.ndarray:
    """The chart-of-accounts names of account ids (object array)."""
    lookup = np.empty(max(a[0] for a in ACCOUNTS) + 1, dtype=object)
    lookup[[a[0] for a in ACCOUNTS]] = [a[2] for a in ACCOUNTS]
    return lookup[ids]


def _split(rng, totals: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each total (USD) into ``counts`` random parts (integer cents); returns (owner index, cents)."""
    owner = np.repeat(np.arange(len(totals)), counts)
    w = rng.gamma(2.0, 1.0, len(owner))
    w = w / np.bincount(owner, weights=w, minlength=len(totals))[owner]
    return owner, np.maximum(1, np.round(totals[owner] * w * 100)).astype(np.int64)


def _day_in_month(rng, months: np.ndarray, clock: _Clock, idx: np.ndarray, fixed_day: np.ndarray) -> np.ndarray:
    """A transaction day (relative to as-of) in month ``months[idx]``: day ``fixed_day`` (1-based)
    where given (> 0), else a random day 1–28."""
    dom = np.where(fixed_day > 0, fixed_day, rng.integers(1, 29, len(idx)))
    dates = months[idx].astype("datetime64[D]") + (dom - 1).astype("timedelta64[D]")
    return clock.days(dates)


def _expense_plan(rng, deals: _Deals, invoice: pd.DataFrame, scale: float, clock: _Clock,
                  vendor_of: dict) -> _Expenses:
    """Every expense transaction of the history.

    Operating expenses: per category and month, budget = level × 20%/year growth × scale;
    actual = budget × the category's tendency × lognormal(0, 0.08) noise, split into
    transactions (cards or bills). Cost of revenue: venue fees (30% of the month's invoiced
    revenue, bills of ~$12K to onboarded venues, net 30) and staffing (15%, agency bills, net
    30). Bank fees
    (Other Expense) monthly. Transactions after the as-of date are dropped.
    """
    months = _months(clock)
    growth = _growth(months, clock.as_of)
    parts = []
    for account, level, channel, per_month, tendency, terms, vendors in OPEX:
        budget = _opex_budget(level, months, clock.as_of, scale)
        actual = budget * tendency * rng.lognormal(0, 0.08, len(months))
        counts = np.full(len(months), max(1, int(round(per_month * scale))))
        m, cents = _split(rng, actual, counts)
        fixed = np.full(len(m), 1 if account == 19 else 0)
        acct = np.full(len(m), account)
        if account == 21:  # part of travel is booked on the Airfare sub-account
            acct = np.where(rng.random(len(m)) < 0.35, ACC_AIRFARE, account)
        ids = np.array([vendor_of[v] for v in vendors])
        parts.append(_Expenses(acct, ids[rng.integers(0, len(ids), len(m))], _day_in_month(rng, months, clock, m, fixed),
                               cents, np.full(len(m), 0 if channel == "card" else 1), np.full(len(m), terms)))
    # Cost of revenue follows the month's invoiced revenue (USD).
    live = ~invoice["_fivetran_deleted"].to_numpy(dtype=bool)
    inv_month = _dates_of(invoice["transaction_date"])[live].astype("datetime64[M]")
    usd = (invoice["total_amount"].to_numpy() * invoice["exchange_rate"].fillna(1.0).to_numpy())[live]
    revenue = np.bincount(np.searchsorted(months, inv_month), weights=usd, minlength=len(months))[: len(months)]
    venue_total = revenue * VENUE_FEE_SHARE
    n_venue = np.where(venue_total > 0, np.maximum(1, np.round(venue_total / VENUE_BILL_USD)), 0).astype(np.int64)
    m, cents = _split(rng, venue_total, n_venue)
    day = _day_in_month(rng, months, clock, m, np.zeros(len(m), np.int64))
    venues = _venues_live(deals)
    venue_close = np.floor(deals.close[venues] / DAY).astype(np.int64)
    n_live = np.searchsorted(venue_close, day, side="right")
    ok = n_live > 0
    pick = np.floor(rng.random(len(m)) * np.maximum(n_live, 1)).astype(np.int64)
    venue_vendor = vendor_of["venues"][pick]
    parts.append(_Expenses(np.full(len(m), ACC_VENUE_FEES), venue_vendor, day, cents, np.ones(len(m), np.int64),
                           np.full(len(m), 30)).take(np.flatnonzero(ok)))
    staff_total = revenue * STAFFING_SHARE
    n_staff = np.where(staff_total > 0, max(1, int(round(STAFFING_BILLS_PER_MONTH * scale))), 0)
    m, cents = _split(rng, staff_total, np.full(len(months), n_staff))
    agencies = np.array([vendor_of[a] for a in STAFFING_AGENCIES])
    parts.append(_Expenses(np.full(len(m), ACC_STAFFING), agencies[rng.integers(0, len(agencies), len(m))],
                           _day_in_month(rng, months, clock, m, np.zeros(len(m), np.int64)), cents,
                           np.ones(len(m), np.int64), np.full(len(m), 30)))
    fees = np.maximum(1, np.round(150 * growth * scale * 100)).astype(np.int64)
    parts.append(_Expenses(np.full(len(months), ACC_BANK_FEES), np.full(len(months), vendor_of["Operating Bank"]),
                           _day_in_month(rng, months, clock, np.arange(len(months)), np.full(len(months), 28)),
                           fees, np.full(len(months), 2), np.zeros(len(months), np.int64)))
    exp = _Expenses.concat(parts)
    exp = exp.take(np.flatnonzero(exp.day <= 0))
    return exp.take(np.lexsort((exp.account, exp.day)))


def _vendor_frame(rng, deals: _Deals, comp: _Companies, clock: _Clock) -> tuple[pd.DataFrame, dict]:
    """Vendors: the operating-expense vendors, the bank, the staffing agencies, then one per
    onboarded venue (venues are paid their share of campaign fees). Returns the frame and
    name → id (``"venues"`` → the venues' vendor ids in close order)."""
    names = [v for row in OPEX for v in row[6]] + ["Operating Bank"] + STAFFING_AGENCIES
    venues = _venues_live(deals)
    venue_names = comp.name.to_numpy(dtype=object)[deals.company[venues]]
    all_names = np.concatenate([np.array(names, dtype=object), venue_names])
    n = len(all_names)
    ids = np.arange(1, n + 1, dtype=np.int64)
    first_day = np.concatenate([np.full(len(names), -(HORIZON_DAYS + 30)),
                                np.floor(deals.close[venues] / DAY).astype(np.int64)])
    created = first_day * DAY + _time_of_day(rng, n)
    vendor_of = {name: i for name, i in zip(names, ids[: len(names)])}
    vendor_of["venues"] = ids[len(names):]
    email = "billing@" + _slug(pd.Series(all_names, dtype="str")).to_numpy(dtype=object) + ".com"
    frame = _frame("quickbooks", "vendor", {
        "id": ids,
        "_fivetran_synced": clock.synced(rng, np.maximum(created, -30 * DAY)),
        "active": True,
        "balance": 0.0,
        "company_name": all_names,
        "created_at": clock.ts(created),
        "currency_id": "USD",
        "display_name": all_names,
        "email": email,
        "updated_at": clock.ts(created),
        "_fivetran_deleted": False,
    }, n=n)
    return frame, vendor_of


def _book_frames(rng, exp: _Expenses, vendor: pd.DataFrame, clock: _Clock) -> dict[str, pd.DataFrame]:
    """purchase/purchase_line (card and bank expenses), bill/bill_line (vendor bills, ~1%
    voided copies), bill_payment/bill_payment_line (one payment per paid bill: 0–10 days
    before the due date, 6% 1–25 days late; ~1% voided copies). Bills whose payment would
    fall after the as-of date are unpaid (balance = total)."""
    out: dict[str, pd.DataFrame] = {}
    # Purchases.
    p = exp.take(np.flatnonzero(exp.channel != 1))
    n = len(p.day)
    credit = (p.channel == 0) & (rng.random(n) < 0.01)
    created = p.day * DAY + _time_of_day(rng, n)
    pids = 40_001 + np.arange(n, dtype=np.int64)
    synced = clock.synced_secs(rng, created)
    out["purchase"] = _frame("quickbooks", "purchase", {
        "id": pids,
        "_fivetran_deleted": False,
        "_fivetran_synced": clock.ts(synced),
        "account_id": np.where(p.channel == 0, ACC_CARD, ACC_CHECKING),
        "created_at": clock.ts(created),
        "credit": credit,
        "currency_id": "USD",
        "doc_number": None,
        "exchange_rate": np.where(rng.random(n) < 0.5, 1.0, np.nan),
        "payment_type": np.where(p.channel == 0, "CreditCard", "Cash").astype(object),
        "total_amount": p.cents / 100.0,
        "transaction_date": clock.date(p.day),
        "updated_at": clock.ts(created),
        "vendor_id": p.vendor,
    })
    out["purchase_line"] = _frame("quickbooks", "purchase_line", {
        "index": 0,
        "purchase_id": pids,
        "_fivetran_synced": clock.ts(synced),
        "account_expense_account_id": p.account,
        "amount": p.cents / 100.0,
        "description": _account_names(p.account),
    })
    # Bills and their payments.
    b = exp.take(np.flatnonzero(exp.channel == 1))
    n = len(b.day)
    due = b.day + b.terms
    late = rng.random(n) < LATE_BILL_SHARE
    paid = np.where(late, due + rng.integers(1, 26, n), np.maximum(b.day, due - rng.integers(0, 11, n)))
    is_paid = paid <= 0
    dup = np.flatnonzero(_at_least_one(rng, n, DELETED_BILL_SHARE))
    src = np.concatenate([np.arange(n), dup])
    deleted = np.concatenate([np.zeros(n, bool), np.ones(len(dup), bool)])
    created = b.day[src] * DAY + _time_of_day(rng, len(src))
    updated = np.where(is_paid[src], paid[src] * DAY + 16 * 3600, created)
    updated = np.where(deleted, np.minimum(created + DAY, clock.sync), updated)
    bids = 20_001 + np.arange(len(src), dtype=np.int64)
    synced = clock.synced_secs(rng, updated)
    total = b.cents[src] / 100.0
    out["bill"] = _frame("quickbooks", "bill", {
        "id": bids,
        "_fivetran_deleted": deleted,
        "_fivetran_synced": clock.ts(synced),
        "balance": np.where(is_paid[src] | deleted, 0.0, total),
        "created_at": clock.ts(created),
        "currency_id": "USD",
        "doc_number": np.char.add(np.where(deleted, "V", ""), (100_000 + src).astype(str)).astype(object),
        "due_date": clock.date(due[src]),
        "exchange_rate": np.where(rng.random(len(src)) < 0.5, 1.0, np.nan),
        "payable_account_id": ACC_AP,
        "private_note": None,
        "total_amount": total,
        "transaction_date": clock.date(b.day[src]),
        "updated_at": clock.ts(updated),
        "vendor_id": b.vendor[src],
    })
    out["bill_line"] = _frame("quickbooks", "bill_line", {
        "bill_id": bids,
        "index": 0,
        "_fivetran_synced": clock.ts(synced),
        "account_expense_account_id": b.account[src],
        "amount": total,
        "description": _account_names(b.account[src]),
    })
    paid_bills = np.flatnonzero(is_paid)
    vdup = paid_bills[np.flatnonzero(_at_least_one(rng, len(paid_bills), DELETED_BILL_SHARE))]
    psrc = np.concatenate([paid_bills, vdup])
    voided = np.concatenate([np.zeros(len(paid_bills), bool), np.ones(len(vdup), bool)])
    order = np.lexsort((psrc, paid[psrc]))
    psrc, voided = psrc[order], voided[order]
    m = len(psrc)
    by_card = rng.random(m) < 0.1
    pay_created = paid[psrc] * DAY + _time_of_day(rng, m)
    pay_ids = 50_001 + np.arange(m, dtype=np.int64)
    pay_synced = clock.synced_secs(rng, pay_created)
    out["bill_payment"] = _frame("quickbooks", "bill_payment", {
        "id": pay_ids,
        "_fivetran_deleted": voided,
        "_fivetran_synced": clock.ts(pay_synced),
        "check_bank_account_id": _nullable_int(np.full(m, ACC_CHECKING), by_card),
        "created_at": clock.ts(pay_created),
        "credit_card_account_id": _nullable_int(np.full(m, ACC_CARD), ~by_card),
        "currency_id": "USD",
        "doc_number": np.where(by_card, None, (5_001 + np.arange(m)).astype(str).astype(object)),
        "exchange_rate": np.nan,
        "pay_type": np.where(by_card, "CreditCard", "Check").astype(object),
        "payable_account_id": ACC_AP,
        "total_amount": b.cents[psrc] / 100.0,
        "transaction_date": clock.date(paid[psrc]),
        "updated_at": clock.ts(pay_created),
        "vendor_id": b.vendor[psrc],
    })
    out["bill_payment_line"] = _frame("quickbooks", "bill_payment_line", {
        "bill_payment_id": pay_ids,
        "index": 0,
        "_fivetran_synced": clock.ts(pay_synced),
        "amount": b.cents[psrc] / 100.0,
        "bill_id": bids[psrc],  # bills occupy ids in plan order, so the original bill's id
    })
    return out


def _account_frame(rng, invoice: pd.DataFrame, books: dict[str, pd.DataFrame], budget: pd.DataFrame,
                   scale: float, clock: _Clock) -> pd.DataFrame:
    """The chart of accounts with current balances (QuickBooks keeps no balance history; P&L
    accounts carry none). A/R = the open invoices (USD; the EUR account in EUR), A/P = the
    unpaid bills, the card = card purchases of the last 20 days; cash ≈ 1.4 and 0.8 months
    of invoiced revenue; the other balances follow the month's budget. Balance-sheet
    accounts were synced on the as-of day."""
    live = ~invoice["_fivetran_deleted"].to_numpy(dtype=bool)
    eur = (invoice["currency_id"] == "EUR").to_numpy() & live
    usd = (invoice["currency_id"] == "USD").to_numpy() & live
    bal = invoice["balance"].to_numpy()
    dates = _dates_of(invoice["transaction_date"])
    recent = live & (clock.days(dates) > -365)
    monthly_revenue = float((invoice["total_amount"].to_numpy() * invoice["exchange_rate"].fillna(1.0).to_numpy())[recent].sum()) / 12
    bill = books["bill"]
    ap = float(bill.loc[~bill["_fivetran_deleted"].astype(bool), "balance"].sum())
    pur = books["purchase"]
    card_recent = (pur["payment_type"] == "CreditCard") & (clock.days(_dates_of(pur["transaction_date"])) > -20)
    card = float((pur["total_amount"] * np.where(pur["credit"].astype(bool), -1, 1))[card_recent].sum())
    this_month = _dates_of(budget["month"]) == clock.origin.astype("datetime64[M]").astype("datetime64[D]")
    month_budget = budget.loc[this_month].set_index("category")["budget_usd"]
    opex_month = float(month_budget.sum())
    u = rng.uniform(0.9, 1.1, 8)
    balances = {
        ACC_CHECKING: monthly_revenue * 1.4 * u[0], ACC_SAVINGS: monthly_revenue * 0.8 * u[1],
        ACC_AR: bal[usd].sum(), ACC_AR_EUR: bal[eur].sum(),
        ACC_PREPAID: 1.5 * float(month_budget.get("Insurance", 0) + month_budget.get("Software & Subscriptions", 0)) * u[2],
        ACC_UNDEPOSITED: monthly_revenue * 0.02 * u[3], ACC_EQUIPMENT: 180_000 * scale * u[4],
        ACC_AP: ap, ACC_CARD: card, ACC_ACCRUED: 0.5 * opex_month * u[5],
        ACC_PAYROLL: monthly_revenue * 0.07 * u[6], ACC_SALES_TAX: monthly_revenue * 0.01 * u[7],
        ACC_LOAN: 1_500_000 * scale, ACC_DELETED: 25_000 * scale,
    }
    n = len(ACCOUNTS)
    ids = np.array([a[0] for a in ACCOUNTS], dtype=np.int64)
    balance = np.round(np.array([balances.get(i, 0.0) for i in ids]), 2)
    parent = np.array([a[3] if a[3] is not None else 0 for a in ACCOUNTS], dtype=np.int64)
    names = np.array([a[2] for a in ACCOUNTS], dtype=object)
    parent_name = {a[0]: a[2] for a in ACCOUNTS}
    fqn = np.array([f"{parent_name[a[3]]}:{a[2]}" if a[3] else a[2] for a in ACCOUNTS], dtype=object)
    balance_sheet = np.array([a[6] in ("Asset", "Liability", "Equity") for a in ACCOUNTS])
    created = np.full(n, -(HORIZON_DAYS + 60) * DAY) + _time_of_day(rng, n)
    updated = np.where(balance_sheet, clock.sync - rng.integers(600, 6 * 3600, n), -rng.integers(30, 400, n) * DAY)
    deleted = ids == ACC_DELETED
    updated = np.where(deleted, -200 * DAY, updated)
    with_subs = balance.copy()
    for i, a in enumerate(ACCOUNTS):  # a parent's balance includes its sub-accounts'
        if a[3] is not None:
            with_subs[list(ids).index(a[3])] += balance[i]
    return _frame("quickbooks", "account", {
        "id": ids,
        "_fivetran_synced": clock.ts(np.minimum(updated + 300, clock.sync)),
        "account_number": np.array([a[1] for a in ACCOUNTS], dtype=object),
        "account_sub_type": np.array([a[5] for a in ACCOUNTS], dtype=object),
        "account_type": np.array([a[4] for a in ACCOUNTS], dtype=object),
        "active": ~deleted,
        "balance": balance,
        "balance_with_sub_accounts": with_subs,
        "classification": np.array([a[6] for a in ACCOUNTS], dtype=object),
        "created_at": clock.ts(created),
        "currency_id": np.array([a[7] for a in ACCOUNTS], dtype=object),
        "description": None,
        "fully_qualified_name": fqn,
        "name": names,
        "parent_account_id": _nullable_int(parent, parent == 0),
        "sub_account": parent > 0,
        "updated_at": clock.ts(updated),
        "_fivetran_deleted": deleted,
    })


def _budget_frame(scale: float, clock: _Clock) -> pd.DataFrame:
    """finance.budget: the plan per month and operating-expense category (``_opex_budget``) for
    every month of the history through December of the as-of year; each year's plan was
    approved on December 10 of the year before."""
    months = np.arange(_months(clock)[0], np.datetime64(f"{clock.as_of.year}-12", "M") + 1)
    accounts = [row[0] for row in OPEX]
    month = np.tile(months, len(OPEX))
    amount = np.concatenate([_opex_budget(row[1], months, clock.as_of, scale) for row in OPEX])
    year = month.astype("datetime64[Y]")
    approved = clock.days(((year - 1).astype("datetime64[M]") + 11).astype("datetime64[D]") + 9)
    updated = approved * DAY + 15 * 3600
    return _frame("finance", "budget", {
        "month": month.astype("datetime64[D]"),
        "category": _account_names(np.repeat(accounts, len(months))),
        "budget_usd": amount,
        "plan_name": np.char.add(np.char.add("FY", (year.astype(np.int64) + 1970).astype(str)),
                                 " Operating Plan").astype(object),
        "updated_at": clock.ts(updated),
        "_fivetran_deleted": False,
        "_fivetran_synced": clock.ts(np.minimum(updated + 3600, clock.sync)),
    })


def _page_frames(deals: _Deals, comp: _Companies, owners: _Owners, invoice: pd.DataFrame, scale: float,
                 clock: _Clock, seed: int) -> dict[str, dict[str, pd.DataFrame]]:
    """The tables of the Sales, COO, Supply and Demand AM pages, by source."""
    rng = _rng(seed, "books")
    vendor, vendor_of = _vendor_frame(rng, deals, comp, clock)
    exp = _expense_plan(rng, deals, invoice, scale, clock, vendor_of)
    books = _book_frames(rng, exp, vendor, clock)
    budget = _budget_frame(scale, clock)
    account = _account_frame(rng, invoice, books, budget, scale, clock)
    return {
        "hubspot": _meeting_frames(deals, comp, owners, clock, seed),
        "quickbooks": {"account": account, "vendor": vendor, **books},
        "marketplace": {"inventory": _inventory_frame(deals, comp, clock, seed)},
        "finance": {"budget": budget},
    }


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def build_demo(scale: float, as_of: dt.date, seed: int = 7) -> dict[str, dict[str, pd.DataFrame]]:
    """Build the demo company as Fivetran tables: ``{source: {table: frame}}``.

    Sources are ``DEMO_SOURCES`` (``hubspot``, ``quickbooks``, ``marketplace``, ``finance``, and
    ``zendesk`` / ``surveys`` from ``data_access.demo_support``: the support desk and survey responses);
    each has every table of
    ``schema.TABLES[source]`` with exactly its columns, in order, typed so DuckDB
    stores them as the declared types (INT64 → ``Int64``, FLOAT64 → ``float64``,
    STRING → ``str``, BOOL → ``boolean``, DATE → Arrow ``date32``, TIMESTAMP →
    naive-UTC ``datetime64[us]``).

    Args:
        scale: size factor (float > 0). Scale 1 ≈ 5,000 deals (85% demand, 15% supply)
            and ~12 reps; deals grow linearly (200 ≈ 1M), reps like 12·√scale.
        as_of: the "today" of the data: deals are created up to ~3 years before it;
            closed deals close and invoices are dated on or before it; open deals
            close from ~3 weeks before to ~6 months after it.
        seed: same (scale, as_of, seed) → identical frames.

    Money: HubSpot ``property_amount`` in whole USD; QuickBooks amounts in the invoice
    currency (USD, or EUR with ``exchange_rate`` = USD per EUR).
    """
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    clock = _Clock(as_of)
    owners = _owner_plan(scale, seed)
    comp = _company_plan(scale, owners, seed)
    deals = _deal_plan(scale, comp, owners, seed)
    created = _company_created(_rng(seed, "company_dates"), comp, deals)
    hubspot = {
        **_owner_frames(owners, clock, seed),
        "company": _company_frame(comp, created, clock, seed),
        "contact": _contact_frame(comp, created, clock, seed, deals),
        **_pipeline_frames(clock),
        **_deal_frames(deals, comp, owners, clock, seed),
    }
    quickbooks = _quickbooks_frames(deals, comp, clock, seed)
    pages = _page_frames(deals, comp, owners, quickbooks["invoice"], scale, clock, seed)
    hubspot.update(pages["hubspot"])
    from data_access.demo_activity import activity_frames  # calls, emails, engagements (issue 13)

    hubspot.update(activity_frames(deals, comp, owners, clock, seed, hubspot["engagement_meeting"],
                                   hubspot["engagement_deal"]))
    quickbooks.update(pages["quickbooks"])
    from data_access.demo_support import support_frames  # tickets and surveys (issue 13), own generators

    support = support_frames(quickbooks["customer"], clock, scale, seed)
    frames = {"hubspot": hubspot, "quickbooks": quickbooks, "marketplace": pages["marketplace"],
              "finance": pages["finance"], "zendesk": support["zendesk"], "surveys": support["surveys"]}
    return {source: {t: frames[source][t] for t in schema.TABLES[source]} for source in DEMO_SOURCES}


def write_demo(warehouse, scale: float, as_of: dt.date, seed: int = 7) -> dict[str, int]:
    """Build the demo (see ``build_demo``) and write it into ``warehouse``.

    ``warehouse`` is a ``DuckDBWarehouse`` (anything with ``replace_tables(source,
    frames)``); each source is replaced in one transaction. Returns rows written per
    table, keyed ``"<source>.<table>"`` (e.g. ``"hubspot.deal"``).
    """
    rows: dict[str, int] = {}
    for source, frames in build_demo(scale, as_of, seed).items():
        warehouse.replace_tables(source, frames)
        rows.update({f"{source}.{table}": len(frame) for table, frame in frames.items()})
    return rows


def reference_figures(frames: Mapping[str, Mapping[str, pd.DataFrame]], as_of: dt.date) -> dict[str, float]:
    """Headline figures computed with plain pandas on built frames (for docs and for
    cross-checking the SQL), using Pulse's definitions:

    * revenue = SalesItemLineDetail line amounts × coalesce(exchange_rate, 1) (USD) on
      invoices not soft-deleted, by transaction date; windows are inclusive;
    * ``revenue_ytd_usd``: Jan 1 of the as-of year … as-of; ``revenue_t365_usd``: the
      365 days ending on as-of; prior window = the 365 days before that;
    * ``nrr`` = Σ current / Σ prior over customers with prior revenue; ``grr`` the same
      with current capped at prior; ``top_customer_share`` of trailing-365 revenue;
    * ``win_rate_90d`` = won ÷ (won + lost) of non-deleted demand deals whose close date
      (UTC date) is in the 90 days ending on as-of;
    * ``open_pipeline_quarter_usd`` / ``_count``: open non-deleted demand deals with close
      date in the as-of quarter; ``median_cycle_days_won_365``: create → close of deals
      won in the trailing 365 days.
    """
    qb, hs = frames["quickbooks"], frames["hubspot"]
    inv = qb["invoice"].loc[~qb["invoice"]["_fivetran_deleted"].astype(bool)]
    lines = qb["invoice_line"].loc[qb["invoice_line"]["detail_type"] == "SalesItemLineDetail"]
    rev = lines.merge(inv, left_on="invoice_id", right_on="id")
    rev = pd.DataFrame({
        "customer_id": rev["customer_id"].astype("int64"),
        "date": rev["transaction_date"].astype("datetime64[s]"),
        "usd": rev["amount"] * rev["exchange_rate"].fillna(1.0),
    })
    a = pd.Timestamp(as_of)
    ytd = rev.loc[(rev.date >= pd.Timestamp(as_of.year, 1, 1)) & (rev.date <= a), "usd"].sum()
    cur_mask = (rev.date > a - pd.Timedelta(days=365)) & (rev.date <= a)
    prior_mask = (rev.date > a - pd.Timedelta(days=730)) & (rev.date <= a - pd.Timedelta(days=365))
    cur = rev.loc[cur_mask].groupby("customer_id")["usd"].sum()
    prior = rev.loc[prior_mask].groupby("customer_id")["usd"].sum()
    cohort = pd.DataFrame({"prior": prior}).join(cur.rename("current")).fillna(0.0)
    cohort = cohort.loc[cohort.prior > 0]

    stages = hs["deal_pipeline_stage"].loc[~hs["deal_pipeline_stage"]["_fivetran_deleted"].astype(bool)]
    deals = hs["deal"].loc[~hs["deal"]["is_deleted"].astype(bool) & (hs["deal"]["deal_pipeline_id"] == DEMAND_PIPELINE)]
    deals = deals.merge(stages[["stage_id", "is_closed", "closed_won"]], left_on="deal_pipeline_stage_id",
                        right_on="stage_id")
    close = deals["property_closedate"].dt.normalize()
    won, lost = deals.closed_won.astype(bool), deals.is_closed.astype(bool) & ~deals.closed_won.astype(bool)
    last90 = (close > a - pd.Timedelta(days=90)) & (close <= a)
    q_start = pd.Timestamp(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    q_end = q_start + pd.offsets.QuarterEnd(0)
    open_q = ~deals.is_closed.astype(bool) & (close >= q_start) & (close <= q_end)
    won365 = won & (close > a - pd.Timedelta(days=365)) & (close <= a)
    cycle = (close - deals["property_createdate"].dt.normalize()).dt.days
    return {
        "revenue_ytd_usd": float(ytd),
        "revenue_t365_usd": float(cur.sum()),
        "revenue_prior365_usd": float(prior.sum()),
        "nrr": float(cohort.current.sum() / cohort.prior.sum()),
        "grr": float(np.minimum(cohort.current, cohort.prior).sum() / cohort.prior.sum()),
        "cohort_customers": int(len(cohort)),
        "churned_customers": int((cohort.current <= 0).sum()),
        "top_customer_share": float(cur.max() / cur.sum()),
        "win_rate_90d": float((won & last90).sum() / ((won | lost) & last90).sum()),
        "won_90d": int((won & last90).sum()),
        "lost_90d": int((lost & last90).sum()),
        "open_pipeline_quarter_usd": float(deals.loc[open_q, "property_amount"].fillna(0).sum()),
        "open_pipeline_quarter_count": int(open_q.sum()),
        "open_undated_count": int((~deals.is_closed.astype(bool) & close.isna()).sum()),
        "median_cycle_days_won_365": float(cycle[won365].median()),
    }


def _summary(rows: Mapping[str, int], seconds: float) -> str:
    width = max(len(t) for t in rows)
    lines = [f"  {t:<{width}}  {n:>12,}" for t, n in rows.items()]
    return "\n".join(["rows written:", *lines, f"done in {seconds:.1f} s"])


def main(argv: list[str] | None = None) -> int:
    """CLI: build the demo company and write it into the local DuckDB warehouse."""
    from data_access.config import get_settings
    from data_access.warehouse import DuckDBWarehouse

    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m data_access.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor: 1 ≈ 5,000 deals (default 1)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                        help="as-of date YYYY-MM-DD (default: the configured as-of date / today)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--duckdb-path", type=Path, default=None, help="DuckDB file (default from settings)")
    parser.add_argument("--history-months", type=int, default=0,
                        help="also compute this many months of KPI history (data_access.backfill.demo_days; "
                             "make demo: 18); 0: none")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be > 0")
    as_of = args.as_of or settings.today()
    path = args.duckdb_path or settings.resolved_duckdb_path()
    started = time.perf_counter()
    warehouse = DuckDBWarehouse(path, settings.datasets)
    try:
        rows = write_demo(warehouse, args.scale, as_of, args.seed)
    finally:
        warehouse.close()
    print(f"demo company (scale {args.scale:g}, as-of {as_of}, seed {args.seed}) → {path}")
    print(_summary(rows, time.perf_counter() - started))
    if args.history_months > 0:
        from data_access.backfill import build_demo_history

        from data_access.catalog import load_catalog

        key = (f"scale={args.scale:g} seed={args.seed} as_of={as_of} months={args.history_months} "
               f"catalog={load_catalog().version}")  # a changed metric or SQL file: history afresh
        done = build_demo_history(settings, path, as_of, args.history_months, key)
        print(f"KPI history: {done.days_done} days computed ({done.days_skipped} kept from this build), "
              f"{done.rows} rows in {done.seconds:.1f} s → {settings.resolved_metrics_duckdb_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
