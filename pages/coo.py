"""COO: the team's KPI page (cards and drill-downs from the catalog)."""
from __future__ import annotations

import dash

from pages._kpi import kpi_page

dash.register_page(__name__, path="/coo", name="COO", title="Pulse · COO", order=2)


def layout(**query):
    """Cards from the cache; `?metric=…&view=…` opens that drill-down."""
    return kpi_page("coo", query)
