"""Every component id in Pulse, built in one place (never typed twice)."""
from __future__ import annotations

from typing import Any

KPI_CARD = "kpi-card"

# App shell
URL = "url"
NAVBAR = "navbar"
CACHE_BANNER = "cache-banner"
BANNER_INTERVAL = "banner-interval"

# Company Health page
KPI_GRID = "kpi-grid"
PAGE_STATUS = "page-status"
GRID_INTERVAL = "grid-interval"

# Drill-down modal
DRILLDOWN_MODAL = "drilldown-modal"
DRILLDOWN_STATE = "drilldown-state"
DRILLDOWN_HEADER = "drilldown-header"
DRILLDOWN_TABS = "drilldown-tabs"
DRILLDOWN_FILTERS = "drilldown-filters"
DRILLDOWN_BODY = "drilldown-body"
FILTER_REP = "filter-rep"
FILTER_START = "filter-start"
FILTER_END = "filter-end"
REFRESH_NOW = "refresh-now"
REFRESH_NOTICE = "refresh-notice"

# Status page
STATUS_BODY = "status-body"
STATUS_INTERVAL = "status-interval"


def kpi_card(metric_id: Any) -> dict:
    """Pattern-matching id of a metric's card (``metric_id`` may be ``ALL``)."""
    return {"type": KPI_CARD, "metric": metric_id}
