"""Playbook actions in headless Chromium: the Customers page lists the open ones, a manager opens a
customer from it and marks its action done (the database and the audit trail say so), and a viewer who
is not the assignee sees the actions without any button."""
from __future__ import annotations

from data_access import health, playbooks
from data_access.customers import refresh_customers
from tests.browser.test_settings import _nav, _sign_in
from tests.conftest import migrated_sqlite
from tests.fixtures.auth_files import auth_runtime


def _runtime(tmp_path):
    """The known company scored (Bloom 41, Crest 37, Dune 0 are below 50) and the shipped rules run."""
    rt = auth_runtime(tmp_path, "password", database_url=migrated_sqlite(tmp_path))
    assert refresh_customers(rt).inserted == 4
    assert health.refresh_health(rt) == 4
    assert playbooks.run_playbooks(rt.db(), rt.today()).opened == 3
    return rt


def test_pbk101_a_manager_marks_a_customers_action_done(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _runtime(tmp_path)
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "mgr@x.com")
    _nav(dash_duo, "Customers")
    dash_duo.wait_for_contains_text("#customers-actions", "3 open actions", timeout=10)
    items = [i.text for i in dash_duo.find_elements("#customers-actions .playbook-item")]
    assert len(items) == 3 and all("Schedule an executive check-in" in i and "due in 7 days" in i for i in items)
    dash_duo.find_element("#customers-actions a[href='/customers/102']").click()
    dash_duo.wait_for_text_to_equal(".customer-name", "Bloom Beauty", timeout=10)
    row = dash_duo.find_element(".playbook-action")
    assert "Health score 41 on Nov 21, 2026 is below 50" in row.text and "Open" in row.text
    row.find_element("xpath", ".//button[normalize-space()='Done']").click()
    dash_duo.wait_for_contains_text("#customer-actions-message", "Marked done: Schedule an executive check-in.",
                                    timeout=8)
    dash_duo.wait_for_contains_text(".playbook-action", "Done", timeout=8)
    assert dash_duo.find_elements(".playbook-action button")[0].text == "Reopen"
    done = playbooks.customer_actions(rt.db(), "102")[0]
    assert (done.status, done.completed_by) == ("done", "mgr@x.com")
    assert [c.actor for c in playbooks.action_changes(rt.db(), [done.id])] == ["mgr@x.com", "pulse"]
    assert dash_duo.get_logs() == []


def test_pbk102_a_viewer_reads_the_actions_without_buttons(dash_duo, pulse_app, swap_runtime, tmp_path):
    rt = _runtime(tmp_path)
    swap_runtime(rt)
    _sign_in(dash_duo, pulse_app, "viewer@x.com")
    dash_duo.driver.get(dash_duo.server.url + "/customers/104")
    dash_duo.wait_for_text_to_equal(".customer-name", "Dune Co", timeout=10)
    dash_duo.wait_for_contains_text(".playbook-action", "Schedule an executive check-in", timeout=8)
    assert "Unassigned" in dash_duo.find_element(".playbook-action").text
    assert dash_duo.find_elements(".playbook-action button") == []
    assert dash_duo.get_logs() == []
