"""A customer's own fields (tier, owner, contract dates, notes) on SQLite and PostgreSQL: saved audited
and version-checked, a malformed form refused with a message per field and nothing written, the
customer sync leaves them alone, and the Customers page filters and shows them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import profiles
from data_access.customers import customer_export, customer_page, sync_customers
from data_access.db import AuditEvent, CustomerProfile, StaleEdit, session_scope
from data_access.profiles import ProfileError, check_profile

AS_OF = dt.date(2026, 11, 21)


def _version(engine, cid: str) -> int:
    with session_scope(engine) as s:
        return s.get(CustomerProfile, cid).version


def test_prf001_a_profile_edit_is_audited_survives_the_sync_and_a_stale_one_loses_nothing(customers, directory):
    v = _version(customers, "102")
    edit = check_profile({"tier": " Enterprise ", "owner": "Dana AM", "contract_start": "2026-01-01",
                          "contract_end": "2026-12-31", "notes": "Pays late\nbut pays"})
    after = profiles.update_profile(customers, "102", v, edit, "mgr@x.com")
    assert after == v + 1
    with pytest.raises(StaleEdit):  # a second form still holds the old version
        profiles.update_profile(customers, "102", v, check_profile({"tier": "SMB"}), "other@x.com")
    sync_customers(customers, directory)  # the daily sync refreshes name, segment, ARR — not these
    with session_scope(customers) as s:
        p = s.get(CustomerProfile, "102")
        assert (p.tier, p.owner, p.contract_start, p.contract_end, p.notes) == (
            "Enterprise", "Dana AM", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "Pays late\nbut pays")
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "customer_profile")).all()
    assert [(e.actor, e.entity_id, e.before["tier"], e.after["tier"]) for e in events] == [
        ("mgr@x.com", "102", None, "Enterprise")]
    assert profiles.update_profile(customers, "102", after, edit, "mgr@x.com") == after  # unchanged: no write
    with pytest.raises(ProfileError, match="no longer exists"):
        profiles.update_profile(customers, "999", 1, edit, "mgr@x.com")


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"contract_start": "2026-12-01", "contract_end": "2026-11-30"}, "contract_end", "cannot end before it starts"),
    ({"contract_end": "31/12/2026"}, "contract_end", "YYYY-MM-DD"),
    ({"contract_start": "1999-12-31"}, "contract_start", "between 2000 and 2100"),
    ({"tier": "x" * 51}, "tier", "at most 50 characters"),
    ({"owner": "Dana\x00"}, "owner", "control characters"),
    ({"notes": "ok\x07"}, "notes", "control characters"),
    ({"segment": "Beauty"}, "segment", "not a field"),
])
def test_prf002_a_malformed_profile_is_refused_with_a_message(customers, raw, field, message):
    v = _version(customers, "101")
    with pytest.raises(ProfileError) as e:
        profiles.update_profile(customers, "101", v, check_profile(raw), "mgr@x.com")
    assert message.lower() in e.value.errors[field].lower()
    assert _version(customers, "101") == v


def test_prf003_the_customers_page_shows_tier_and_contract_end_and_filters_on_the_contract(customers):
    """Acme's contract ends in 20 days (no renewal); Bloom's in 80; Crest's ended 10 days ago: within 30
    days only Acme, within 90 Acme and Bloom — an ended contract is not 'ending'."""
    for cid, end in (("101", 20), ("102", 80), ("103", -10)):
        day = AS_OF + dt.timedelta(days=end)
        profiles.update_profile(customers, cid, _version(customers, cid),
                                check_profile({"tier": "SMB", "contract_end": day.isoformat()}), "mgr@x.com")
    assert [r["name"] for r in customer_page(customers, AS_OF, renews_within_days=30).rows] == ["Acme Drinks"]
    assert [r["name"] for r in customer_page(customers, AS_OF, renews_within_days=90).rows] == \
        ["Acme Drinks", "Bloom Beauty"]
    by_end = customer_page(customers, AS_OF, sort="contract_end", descending=False).rows
    assert [(r["name"], r["contract_end"]) for r in by_end] == [
        ("Crest Foods", dt.date(2026, 11, 11)), ("Acme Drinks", dt.date(2026, 12, 11)),
        ("Bloom Beauty", dt.date(2027, 2, 9)), ("Dune Co", None)]
    export = customer_export(customers, AS_OF, sort="contract_end", descending=False)
    assert export["contract_end"].tolist() == ["2026-11-11", "2026-12-11", "2027-02-09", ""]
    assert export["tier"].tolist() == ["SMB", "SMB", "SMB", ""]


def test_prf004_contracts_ending_within_60_days_with_no_renewal_worked_on(customers):
    """Acme's contract ends in 20 days, no renewal: listed; Bloom's in 30, with an open renewal: not (the
    renewal is in the At risk list already); Crest's in 59 with only a renewed (past) one: listed; Dune's
    in 60 days: beyond the window (today + 59 is the last day)."""
    from data_access import renewals
    from data_access.customers import contracts_ending_unrenewed

    for cid, end in (("101", 20), ("102", 30), ("103", 59), ("104", 60)):
        profiles.update_profile(customers, cid, _version(customers, cid),
                                check_profile({"contract_end": (AS_OF + dt.timedelta(days=end)).isoformat()}), "m@x.com")
    for cid, days, status in (("102", 30, "open"), ("103", -300, "renewed")):
        renewals.create_renewal(customers, renewals.check_renewal(
            {"customer_id": cid, "renewal_date": (AS_OF + dt.timedelta(days=days)).isoformat(),
             "current_value_usd": "100", "status": status}, customers), "m@x.com")
    got = contracts_ending_unrenewed(customers, AS_OF)
    assert [(c["name"], c["contract_end"], c["arr_usd"]) for c in got] == [
        ("Acme Drinks", dt.date(2026, 12, 11), 3500.0), ("Crest Foods", dt.date(2027, 1, 19), 1000.0)]
