"""Every component id in Pulse, built in one place (never typed twice)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KPI_CARD = "kpi-card"
KPI_TIP = "kpi-tip"  # a card with its info button: the tooltip's target (hover, or focus the "i" by tapping it)

# App shell
URL = "url"
NAVBAR = "navbar"
NAVBAR_TOGGLER = "navbar-toggler"
NAVBAR_COLLAPSE = "navbar-collapse"
THEME_STORE = "pulse-theme"  # "light" | "dark", kept in the browser's local storage
THEME_TOGGLE = "theme-toggle"
PRINT_DONE = "print-done"  # output of the clientside print call
CACHE_BANNER = "cache-banner"
BANNER_INTERVAL = "banner-interval"


def page_export(page: str) -> dict:
    """The "Export page" (print / save as PDF) button of a KPI page."""
    return {"type": "page-export", "page": page}

# Company Health page
KPI_GRID = "kpi-grid"
PAGE_STATUS = "page-status"
GRID_INTERVAL = "grid-interval"
PAGE_AS_OF = "page-as-of"  # the past day a KPI page shows (?as_of=YYYY-MM-DD), or None for today
AS_OF_PICKER = "as-of-picker"  # the navbar's date picker
AS_OF_NAV = "as-of-nav"  # output of the clientside navigation to ?as_of=
DELTA_PERIOD = "delta-period"  # the previous period the cards' deltas compare with (remembered per browser)

# Sales page: the weighted pipeline scenario toggle (pages/sales.py, components/scenario_panel.py)
SALES_SCENARIO = "sales-scenario"  # base | commit | best | worst (?scenario= in the URL)
SALES_SCENARIO_SUMMARY = "sales-scenario-summary"  # the scenario's card: total, beside the other scenarios
SALES_SCENARIO_FIGURE = "sales-scenario-figure"  # the scenario's weighted pipeline by stage
SALES_SCENARIO_INFO = "sales-scenario-info"  # the card's "i": its tooltip gives the formula

# Drill-down modal
DRILLDOWN_MODAL = "drilldown-modal"
DRILLDOWN_STATE = "drilldown-state"
DRILLDOWN_HEADER = "drilldown-header"
DRILLDOWN_SCOPE = "drilldown-scope"  # under the title: whether its value follows the filters
DRILLDOWN_TABS = "drilldown-tabs"
DRILLDOWN_FILTERS = "drilldown-filters"
DRILLDOWN_BODY = "drilldown-body"
PAST_POLL = "drilldown-past-poll"  # while a past day's frames are computed: re-check every 2 s
FILTER_REP = "filter-rep"
FILTER_START = "filter-start"
FILTER_END = "filter-end"
FILTER_SEGMENT = "filter-segment"
FILTER_MONTH_HINT = "filter-month-hint"  # the months a view's rows cover
BREADCRUMB = "drilldown-breadcrumb"
URL_SYNC = "drilldown-url-sync"
FILTERS_APPLIED = "drilldown-filters-applied"
FILTERS_READY = "drilldown-filters-ready"
EXPORT_CSV = "export-csv"
EXPORT_XLSX = "export-xlsx"
EXPORT_DOWNLOAD = "export-download"
REFRESH_NOW = "refresh-now"
REFRESH_NOTICE = "refresh-notice"

# Status page
STATUS_BODY = "status-body"
STATUS_INTERVAL = "status-interval"

# Account corner of the navbar
AUTH_CORNER = "auth-corner"
AUTH_BADGE = "auth-badge"
AUTH_USER = "auth-user"
AUTH_SIGNOUT = "auth-signout"

# Settings page
SETTINGS_FORM = "settings-form"
SETTINGS_EFFECTIVE = "settings-effective"
SETTINGS_TABS = "settings-tabs"  # one tab per section: Targets, Revenue plan, Sales quotas, Rep targets, history
SETTINGS_SAVE = "settings-save"
SETTINGS_RESET = "settings-reset"
SETTINGS_MESSAGE = "settings-message"
SETTINGS_FILE_STATUS = "settings-file-status"
SETTINGS_HISTORY = "settings-history"
SETTINGS_INTERVAL = "settings-interval"
SETTINGS_TARGET = "settings-target"
SETTINGS_BAND = "settings-band"
SETTINGS_HINT = "settings-hint"
SETTINGS_QUOTAS = "settings-quotas"  # the rep quota rows
SETTINGS_QUOTA = "settings-quota"
SETTINGS_QUOTA_HINT = "settings-quota-hint"
SETTINGS_QUOTAS_SAVE = "settings-quotas-save"
SETTINGS_QUOTAS_MESSAGE = "settings-quotas-message"
SETTINGS_PLAN = "settings-plan"  # the revenue plan's month rows
SETTINGS_PLAN_MONTH = "settings-plan-month"
SETTINGS_PLAN_HINT = "settings-plan-hint"
SETTINGS_PLAN_SAVE = "settings-plan-save"
SETTINGS_PLAN_MESSAGE = "settings-plan-message"
SETTINGS_REP_METRIC = "settings-rep-metric"  # which metric's per-rep targets are shown
SETTINGS_REP_TARGETS = "settings-rep-targets"  # the per-rep target rows
SETTINGS_REP_TARGET = "settings-rep-target"
SETTINGS_REP_TARGET_HINT = "settings-rep-target-hint"
SETTINGS_REP_TARGETS_SAVE = "settings-rep-targets-save"
SETTINGS_REP_TARGETS_MESSAGE = "settings-rep-targets-message"
SETTINGS_SCENARIOS = "settings-scenarios"  # the pipeline scenario rows (threshold, per-stage weights)
SETTINGS_SCENARIOS_REVISION = "settings-scenarios-revision"  # the fingerprint the form was filled from
SETTINGS_SCENARIO_THRESHOLD = "settings-scenario-threshold"
SETTINGS_SCENARIOS_SAVE = "settings-scenarios-save"
SETTINGS_SCENARIOS_MESSAGE = "settings-scenarios-message"
SETTINGS_SCENARIO_BEST = "settings-scenario-best"
SETTINGS_SCENARIO_WORST = "settings-scenario-worst"
SETTINGS_SLA = "settings-sla"  # Settings › Support SLA: first reply / resolution hours per priority
SETTINGS_SLA_FIELD = "settings-sla-field"  # pattern type: sla_field(priority, part)
SETTINGS_SLA_REVISION = "settings-sla-revision"  # the fingerprint the form was filled from
SETTINGS_SLA_SAVE = "settings-sla-save"
SETTINGS_SLA_MESSAGE = "settings-sla-message"
SETTINGS_HEALTH_WEIGHTS = "settings-health-weights"  # Settings › Company health: component weights
SETTINGS_HEALTH_WEIGHT = "settings-health-weight"  # pattern type: {"type": …, "metric": component id}
SETTINGS_HEALTH_WEIGHTS_REVISION = "settings-health-weights-revision"
SETTINGS_HEALTH_WEIGHTS_SAVE = "settings-health-weights-save"
SETTINGS_HEALTH_WEIGHTS_MESSAGE = "settings-health-weights-message"
# Renewals page (pages/renewals.py): the pipeline chart, the table and the renewal form
RENEWALS_CHART = "renewals-chart"
RENEWALS_TABLE = "renewals-table"  # the table and the recent changes
RENEWALS_MESSAGE = "renewals-message"
RENEWALS_STATUS_FILTER = "renewals-status-filter"
RENEWALS_WINDOW = "renewals-window"  # which renewal dates the table shows
RENEWALS_SEARCH = "renewals-search"
RENEWAL_ADD = "renewal-add"
RENEWAL_EDIT = "renewal-edit"  # pattern: one Edit button per renewal (renewal_edit)
RENEWAL_MODAL = "renewal-modal"
RENEWAL_TITLE = "renewal-title"
RENEWAL_EDITING = "renewal-editing"  # store: {"id", "version"} of the renewal in the form, or None (new)
RENEWAL_FIELD = "renewal-field"  # pattern: the form's inputs (renewal_field)
RENEWAL_FEEDBACK = "renewal-feedback"  # pattern: the message under each input
RENEWAL_FORM_MESSAGE = "renewal-form-message"
RENEWAL_SAVE = "renewal-save"
RENEWAL_CANCEL = "renewal-cancel"
# Customers page (pages/customers.py): the at-risk panel and the customer table (paged in the database)
CUSTOMERS_INIT = "customers-init"  # store whose initial call fills the filters and the at-risk panel
CUSTOMERS_AT_RISK = "customers-at-risk"
CUSTOMERS_AT_RISK_HEALTH = "customers-at-risk-health"
CUSTOMERS_SEARCH = "customers-search"
CUSTOMERS_SEGMENT = "customers-segment"
CUSTOMERS_OWNER = "customers-owner"
CUSTOMERS_RENEWS = "customers-renews"
CUSTOMERS_HEALTH = "customers-health"
CUSTOMERS_COUNT = "customers-count"
CUSTOMERS_TABLE = "customers-table"
CUSTOMERS_EXPORT = "customers-export"
CUSTOMERS_DOWNLOAD = "customers-download"
CUSTOMER_ID = "customer-id"  # store: the id in /customers/<id>
CUSTOMER_DETAIL = "customer-detail"
CUSTOMER_DETAIL_MORE = "customer-detail-more"  # below the playbook actions: deals, renewals, activity
CUSTOMER_ACTIONS = "customer-actions"  # the customer page's playbook actions (re-rendered after a change)
CUSTOMER_ACTIONS_MESSAGE = "customer-actions-message"
PLAYBOOK_ACTION_SET = "playbook-action-set"  # pattern: Done / Dismiss / Reopen of an action (playbook_action_set)
CUSTOMERS_ACTIONS = "customers-actions"  # the Customers page's open playbook actions panel
CUSTOMER_PROFILE_EDIT = "customer-profile-edit"  # the customer page's Edit profile button (managers, admins)
CUSTOMER_PROFILE_MODAL = "customer-profile-modal"
CUSTOMER_PROFILE_FIELD = "customer-profile-field"  # pattern: the profile form's inputs (customer_profile_field)
CUSTOMER_PROFILE_FEEDBACK = "customer-profile-feedback"
CUSTOMER_PROFILE_MESSAGE = "customer-profile-message"
CUSTOMER_PROFILE_SAVE = "customer-profile-save"
CUSTOMER_PROFILE_CANCEL = "customer-profile-cancel"
CUSTOMER_PROFILE_VERSION = "customer-profile-version"  # store: the profile's version the form was loaded at
# Alerts page (pages/alerts.py): what was sent and what failed
ALERTS_HISTORY = "alerts-history"
ALERTS_STATUS = "alerts-status"
ALERTS_INTERVAL = "alerts-interval"


def kpi_grid(page: Any) -> dict:
    """The card grid of a page (``page`` may be ``MATCH``)."""
    return {"type": KPI_GRID, "page": page}


def grid_interval(page: Any) -> dict:
    """The interval that re-reads a page's cards."""
    return {"type": GRID_INTERVAL, "page": page}


def drill_graph(view_id: Any) -> dict:
    """The chart of a drill-down view (clicking a bar can drill deeper)."""
    return {"type": "drill-graph", "view": view_id}


def drill_table(view_id: Any) -> dict:
    """The table of a drill-down view (paged and sorted on the server)."""
    return {"type": "drilldown-table", "view": view_id}


def crumb(index: Any) -> dict:
    """A step of the drill path inside the modal."""
    return {"type": "crumb", "index": index}


def kpi_card(metric_id: Any) -> dict:
    """Pattern-matching id of a metric's card (``metric_id`` may be ``ALL``)."""
    return {"type": KPI_CARD, "metric": metric_id}


def kpi_tip(metric_id: Any) -> dict:
    """The tooltip target of a metric's card: the card and its info button."""
    return {"type": KPI_TIP, "metric": metric_id}


def past_poll(day: Any) -> dict:
    """The interval of a drill-down body waiting for a past day's frames (``day`` may be ``ALL``)."""
    return {"type": PAST_POLL, "day": day}


def page_as_of(page: Any) -> dict:
    """The store holding the past day a KPI page shows (``None``: today)."""
    return {"type": PAGE_AS_OF, "page": page}


def delta_period(page: Any) -> dict:
    """The previous-period picker of a KPI page (``data_access.trends.PERIODS``)."""
    return {"type": DELTA_PERIOD, "page": page}


def settings_field(kind: str, metric_id: Any) -> dict:
    """Pattern-matching id of a Settings input or hint (``kind``: ``SETTINGS_TARGET`` | ``SETTINGS_BAND``
    | ``SETTINGS_HINT``) for ``metric_id`` (may be ``ALL``)."""
    return {"type": kind, "metric": metric_id}


def quota_field(kind: str, owner_id: Any) -> dict:
    """Pattern-matching id of a rep's input or hint (``kind``: ``SETTINGS_QUOTA`` | ``SETTINGS_QUOTA_HINT``
    | ``SETTINGS_REP_TARGET`` | ``SETTINGS_REP_TARGET_HINT``) for ``owner_id`` (the HubSpot owner id as
    text; may be ``ALL``)."""
    return {"type": kind, "owner": owner_id}


def plan_field(kind: str, month: Any) -> dict:
    """Pattern-matching id of a revenue plan month's input or hint (``kind``: ``SETTINGS_PLAN_MONTH`` |
    ``SETTINGS_PLAN_HINT``) for ``month`` (``YYYY-MM``; may be ``ALL``)."""
    return {"type": kind, "month": month}


def renewal_edit(renewal_id: Any) -> dict:
    """The Edit button of a renewal's row (``renewal_id`` may be ``ALL``)."""
    return {"type": RENEWAL_EDIT, "renewal": renewal_id}


HEALTH_FIELD = "health-config-field"  # pattern: Settings › Health score inputs (health_field)
HEALTH_FEEDBACK = "health-config-feedback"
HEALTH_CONFIG_SAVE = "health-config-save"
HEALTH_CONFIG_MESSAGE = "health-config-message"
HEALTH_CONFIG_VERSION = "health-config-version"  # store: the version the form was loaded at
HEALTH_CONFIG_VERSIONS = "health-config-versions"
HEALTH_CONFIG_INIT = "health-config-init"


def health_field(indicator: Any, part: Any) -> dict:
    """An input of Settings › Health score (``indicator``: a ``health.LABEL`` key; ``part``: one of
    ``health.PARTS``; either may be ``ALL``)."""
    return {"type": HEALTH_FIELD, "indicator": indicator, "part": part}


def health_feedback(indicator: Any, part: Any) -> dict:
    return {"type": HEALTH_FEEDBACK, "indicator": indicator, "part": part}


def renewal_field(field: Any) -> dict:
    """An input of the renewal form (``field``: a ``RenewalInput`` field name; may be ``ALL``)."""
    return {"type": RENEWAL_FIELD, "field": field}


def renewal_feedback(field: Any) -> dict:
    """The message under an input of the renewal form."""
    return {"type": RENEWAL_FEEDBACK, "field": field}


def playbook_action_set(action_id: Any, version: Any, status: Any) -> dict:
    """A button that sets playbook action ``action_id`` (as loaded at ``version``) to ``status``
    (``done`` | ``dismissed`` | ``open``); any part may be ``ALL``."""
    return {"type": PLAYBOOK_ACTION_SET, "action": action_id, "version": version, "status": status}


@dataclass(frozen=True)
class RuleEditorIds:
    """The ids of one rules editor on Settings (pages/_rule_editor.py), all named from ``prefix``:
    ``<prefix>s`` (the rules table and their changes), ``<prefix>s-message``, ``<prefix>-add``,
    ``-modal``, ``-title``, ``-editing`` (store: ``{"id", "version"}`` of the rule in the form, or None
    for a new one), ``-form-message``, ``-save``, ``-delete``, ``-cancel``; patterns ``<prefix>-edit``
    (a row's Edit button), ``-field`` (the form's inputs) and ``-feedback`` (the message under each)."""

    prefix: str

    @property
    def table(self) -> str:
        return f"{self.prefix}s"

    @property
    def message(self) -> str:
        return f"{self.prefix}s-message"

    def part(self, name: str) -> str:
        """``<prefix>-<name>``: ``add``, ``modal``, ``title``, ``editing``, ``form-message``, ``save``,
        ``delete``, ``cancel``."""
        return f"{self.prefix}-{name}"

    def edit(self, rule_id: Any) -> dict:
        return {"type": f"{self.prefix}-edit", "rule": rule_id}

    def field(self, field: Any) -> dict:
        return {"type": f"{self.prefix}-field", "field": field}

    def feedback(self, field: Any) -> dict:
        return {"type": f"{self.prefix}-feedback", "field": field}


ALERT_RULE_EDITOR = RuleEditorIds("alert-rule")  # Settings › Alert rules (pages/_alert_rules.py)
PLAYBOOK_RULE_EDITOR = RuleEditorIds("playbook-rule")  # Settings › Playbooks (pages/_playbooks.py)


def customer_profile_field(field: Any) -> dict:
    """An input of the customer profile form (``field``: a ``profiles.ProfileInput`` field; may be ``ALL``)."""
    return {"type": CUSTOMER_PROFILE_FIELD, "field": field}


def customer_profile_feedback(field: Any) -> dict:
    """The message under an input of the customer profile form."""
    return {"type": CUSTOMER_PROFILE_FEEDBACK, "field": field}


def scenario_weight(kind: str, stage: Any) -> dict:
    """Pattern-matching id of a stage's weight input on Settings › Pipeline scenarios (``kind``:
    ``SETTINGS_SCENARIO_BEST`` | ``SETTINGS_SCENARIO_WORST``; ``stage``: its label, or ``ALL``)."""
    return {"type": kind, "stage": stage}


def sla_field(priority: Any, part: Any) -> dict:
    """Pattern-matching id of one hours input on Settings › Support SLA (``priority``: urgent | high |
    normal | low; ``part``: ``first_reply_hours`` | ``resolution_hours``; or ``ALL``)."""
    return {"type": SETTINGS_SLA_FIELD, "priority": priority, "part": part}


def sla_revision(form: Any = "sla") -> dict:
    """Pattern-matching id of the Support SLA form's revision store (filled with the form, so the
    Save callback reads it through ``ALL``: absent until the form is drawn)."""
    return {"type": SETTINGS_SLA_REVISION, "form": form}


def health_weight(metric: Any) -> dict:
    """Pattern-matching id of a component's weight input on Settings › Company health (``metric``: the
    component's metric id, or ``ALL``)."""
    return {"type": SETTINGS_HEALTH_WEIGHT, "metric": metric}


def health_weights_revision(form: Any = "health") -> dict:
    """Pattern-matching id of the Company health form's revision store (read through ``ALL``)."""
    return {"type": SETTINGS_HEALTH_WEIGHTS_REVISION, "form": form}
