"""Support: ticket SLAs in business hours, the backlog, CSAT, NPS and Zendesk satisfaction (cards and
drill-downs from the catalog)."""
from __future__ import annotations

import dash

from pages._kpi import kpi_page

dash.register_page(__name__, path="/support", name="Support", title="Pulse · Support", order=5)


def layout(**query):
    """Cards from the cache; `?metric=…&view=…` opens that drill-down."""
    return kpi_page("support", query)
