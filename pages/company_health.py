"""Company Health: the KPI grid leadership opens first."""
from __future__ import annotations

import dash

from pages._kpi import kpi_page

dash.register_page(__name__, path="/", name="Company Health", title="Pulse · Company Health", order=0)


def layout(**query):
    """Cards from the cache; ``?metric=…&view=…`` opens that drill-down."""
    return kpi_page("company_health", query)
