"""Customers (issue 15): every customer Pulse knows (``customer_profile``, synced from the warehouse
daily) in a table searched, filtered, sorted and paged in the database — only one page reaches the
browser, however many customers there are — and an At risk panel of the renewals that need attention.
Everyone signed in reads it; renewals are edited on /renewals.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dash_table, dcc, html
from dash.exceptions import PreventUpdate

from components import formatting, ids
from data_access import customers, health, playbooks, renewals
from data_access.export import to_csv
from data_access.renewals import STATUS_LABEL, UNCOMMITTED
from data_access.runtime import get_runtime

dash.register_page(__name__, path="/customers", name="Customers", title="Pulse · Customers", order=7)

PAGE_SIZE = 25
ANY = "any"  # a quick filter's "every …" choice
AT_RISK_DAYS = 60
AT_RISK_SHOWN = 8
COLUMNS = [("name", "Customer", "text"), ("segment", "Segment", "text"), ("tier", "Tier", "text"),
           ("owner", "Owner", "text"), ("arr_usd", "ARR", "numeric"), ("health", "Health", "numeric"),
           ("health_change", "30-day change", "text"), ("last_invoice_date", "Last invoice", "text"),
           ("contract_end", "Contract end", "text"), ("next_renewal", "Next renewal", "text"),
           ("renewal_status", "Renewal status", "text")]
HEALTH_CHOICES = [(status, f"{health.STATUS_WORD[status]}{band}") for status, band in (
    ("green", f" (≥ {health.GREEN_AT})"), ("yellow", f" ({health.YELLOW_AT}–{health.GREEN_AT - 1})"),
    ("red", f" (< {health.YELLOW_AT})"), ("nodata", ""))]
HEALTH_STYLES = [  # the cards' colours (assets/pulse.css lets these through its cell colour)
    {"if": {"filter_query": f"{{health}} >= {health.GREEN_AT}", "column_id": "health"}, "color": "var(--pulse-green)"},
    {"if": {"filter_query": f"{{health}} >= {health.YELLOW_AT} && {{health}} < {health.GREEN_AT}",
            "column_id": "health"}, "color": "var(--pulse-yellow)"},
    {"if": {"filter_query": f"{{health}} < {health.YELLOW_AT}", "column_id": "health"}, "color": "var(--pulse-red)"},
    {"if": {"column_id": "health"}, "fontWeight": 600},
]
ARR_HELP = ("ARR: revenue invoiced to the customer in the 365 days to today (Σ invoice lines × exchange rate, "
            "QuickBooks), refreshed daily.")


# ---------------------------------------------------------------- builders (pure)

MARKDOWN_SPECIAL = set("\\`*_{}[]<>()#+-.!|~")


def name_link(name: str, customer_id: str) -> str:
    """A Markdown link from the customer's name to its page; the name's Markdown characters are
    escaped, so a name renders as the text it is (HTML in it stays inert)."""
    text = "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in name)
    return f"[{text}](/customers/{quote(customer_id, safe='')})"


def table_rows(page: customers.CustomerPage) -> list[dict]:
    """The DataTable records of one page (names link to the customer's page; dates as text, money as
    compact USD)."""
    return [{"customer_id": r["customer_id"], "name": name_link(r["name"], r["customer_id"]), "segment": r["segment"],
             "owner": r["owner"] or "—", "arr_usd": formatting.usd(r["arr_usd"]), "tier": r["tier"] or "—",
             "contract_end": formatting.day_text(r["contract_end"]) if r["contract_end"] else "—",
             "last_invoice_date": formatting.day_text(r["last_invoice_date"]) if r["last_invoice_date"] else "—",
             "next_renewal": formatting.day_text(r["next_renewal_date"]) if r["next_renewal_date"] else "—",
             "renewal_status": STATUS_LABEL.get(r["next_renewal_status"], "—"), "health": r["health_score"],
             "health_change": "—" if r["health_change"] is None else
             ("±0" if r["health_change"] == 0 else f"{r['health_change']:+d}".replace("-", "−"))} for r in page.rows]


def at_risk(rows: list[renewals.RenewalRow], today: dt.date) -> list[renewals.RenewalRow]:
    """Renewals that need attention, largest first: not yet committed and due within 60 days (overdue
    included), or high risk. (Health scores join this list when they are computed.)"""
    due = today + dt.timedelta(days=AT_RISK_DAYS - 1)
    picked = [r for r in rows if r.status in UNCOMMITTED and (r.renewal_date <= due or r.risk_level == "high")]
    return sorted(picked, key=lambda r: (-r.current_value_usd, r.renewal_date, r.id))


def _risk_item(name, detail: str, amount: str, class_name: str) -> dbc.ListGroupItem:
    """One line of the At risk panel: the customer and why on the left, the amount on the right."""
    return dbc.ListGroupItem(html.Div([
        html.Div([name, html.Div(detail, className="small text-muted")]),
        html.Div(amount, className="fw-semibold text-nowrap"),
    ], className="d-flex justify-content-between align-items-center gap-3"), className=class_name)


def at_risk_panel(rows: list[renewals.RenewalRow], today: dt.date, unrenewed: list[dict] = ()) -> html.Div:
    """Renewals that need attention (``at_risk``), then customers whose contract ends within 60 days with
    no renewal being worked on (``customers.contracts_ending_unrenewed``)."""
    if not rows and not unrenewed:
        return html.P("No renewal needs attention: none is due within 60 days without a commitment, none is "
                      "high risk, and no contract ends within 60 days without a renewal.",
                      className="text-muted small mb-0")
    items = []
    for c in unrenewed[:AT_RISK_SHOWN]:
        left = (c["contract_end"] - today).days
        items.append(_risk_item(html.A(c["name"], href=f"/customers/{quote(c['customer_id'], safe='')}",
                                       className="fw-semibold text-decoration-none"),
                                f"Contract ends {'today' if left == 0 else 'in ' + formatting.plural(left, 'day')}, "
                                f"no renewal · {c['owner'] or 'no owner'}",
                                formatting.usd(c["arr_usd"]) + " ARR", "at-risk-item at-risk-contract"))
    for r in rows[:max(0, AT_RISK_SHOWN - len(items))]:
        reasons = []
        if r.renewal_date < today:
            reasons.append(f"overdue by {formatting.plural((today - r.renewal_date).days, 'day')}")
        elif r.renewal_date <= today + dt.timedelta(days=AT_RISK_DAYS - 1):
            reasons.append(f"renews in {formatting.plural((r.renewal_date - today).days, 'day')}, not committed")
        if r.risk_level == "high":
            reasons.append("high risk")
        items.append(_risk_item(html.Div(r.customer_name, className="fw-semibold"),
                                f"{', '.join(reasons).capitalize()} · {r.owner or 'no owner'}",
                                formatting.usd(float(r.current_value_usd)), "at-risk-item"))
    more = len(rows) + len(unrenewed) - len(items)
    summary = (f"{formatting.plural(len(rows), 'renewal')} · {formatting.usd(sum(float(r.current_value_usd) for r in rows))}"
               " up for renewal")
    if unrenewed:
        summary += f"; {formatting.plural(len(unrenewed), 'contract')} ending without one"
    return html.Div([
        html.P(summary, className="small text-muted mb-2"),
        dbc.ListGroup(items, flush=True),
        html.A(f"and {more} more on Renewals", href="/renewals", className="small") if more > 0 else None,
    ])


def health_panel(rows: list[dict], total: int) -> html.Div:
    """Customers whose health is poor or fell fast, largest ARR first (each links to its page)."""
    if not rows:
        return html.P(f"No customer's health is poor (< {health.YELLOW_AT}) or fell {health.DROP_POINTS} points "
                      f"in {health.DROP_DAYS} days.", className="text-muted small mb-0")
    items = []
    for r in rows:
        why = [f"health {r['score']}"]
        if r["change"] is not None and r["change"] <= -health.DROP_POINTS:
            why.append(f"down {-r['change']} points in {health.DROP_DAYS} days")
        items.append(_risk_item(html.A(r["name"], href=f"/customers/{quote(r['customer_id'], safe='')}",
                                       className="fw-semibold text-decoration-none"),
                                f"{', '.join(why).capitalize()} · {r['owner'] or 'no owner'}",
                                formatting.usd(r["arr_usd"]) + " ARR", "at-risk-health-item"))
    more = total - len(rows)
    return html.Div([
        html.P(f"{formatting.plural(total, 'customer')} in poor or falling health", className="small text-muted mb-2"),
        dbc.ListGroup(items, flush=True),
        html.Div(f"and {more} more: filter the table by health", className="small text-muted") if more > 0 else None,
    ])


def actions_panel(rows: list, total: int, overdue: int, today: dt.date) -> html.Div:
    """Open playbook actions, soonest due first (each links to its customer's page)."""
    if not total:
        return html.P("No open playbook action. The rules on Settings › Playbooks open one when a customer's health "
                      "or renewal needs attention.", className="text-muted small mb-0")
    items = []
    for a in rows:
        late = a.due_date < today
        days = abs((a.due_date - today).days)
        due = (f"{formatting.plural(days, 'day')} overdue" if late else "due today" if days == 0
               else f"due in {formatting.plural(days, 'day')}")
        items.append(_risk_item(html.A(a.customer_name, href=f"/customers/{quote(a.customer_id, safe='')}",
                                       className="fw-semibold text-decoration-none"),
                                f"{a.action} · {a.assignee or 'unassigned'}",
                                html.Span(due, className="small " + ("text-danger" if late else "text-muted")),
                                "playbook-item"))
    more = total - len(rows)
    return html.Div([
        html.P(f"{formatting.plural(total, 'open action')}" + (f", {overdue:,} overdue" if overdue else ""),
               className="small text-muted mb-2 playbook-summary"),
        dbc.ListGroup(items, flush=True),
        html.Div(f"and {more} more on the customers' pages", className="small text-muted") if more > 0 else None,
    ])


# ---------------------------------------------------------------- layout

def _select(ident: str, placeholder: str, options=()):
    return dbc.Select(id=ident, options=[{"label": placeholder, "value": ANY}, *options], value=ANY)


def layout(**_query) -> html.Div:
    """Skeleton only; callbacks read the database."""
    return html.Div([
        html.Div([html.H2("Customers", className="page-title"),
                  html.P(["Every customer, its ARR, owner and next renewal. ", ARR_HELP], className="text-muted")],
                 className="page-head"),
        dbc.Card([dbc.CardHeader(html.H5("At risk", className="mb-0")),
                  dbc.CardBody(dbc.Row([
                      dbc.Col([html.H6("Renewals", className="text-muted"), html.Div(id=ids.CUSTOMERS_AT_RISK)], xl=4),
                      dbc.Col([html.H6("Health", className="text-muted"), html.Div(id=ids.CUSTOMERS_AT_RISK_HEALTH)],
                              xl=4),
                      dbc.Col([html.H6("Playbook actions", className="text-muted"), html.Div(id=ids.CUSTOMERS_ACTIONS)],
                              xl=4)], className="g-4"))], className="mb-4 settings-card at-risk-card"),
        dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(dbc.Input(id=ids.CUSTOMERS_SEARCH, type="search", placeholder="Search by name", debounce=True),
                        md=4),
                dbc.Col(_select(ids.CUSTOMERS_SEGMENT, "Every segment"), md=2),
                dbc.Col(_select(ids.CUSTOMERS_OWNER, "Every owner"), md=2),
                dbc.Col(_select(ids.CUSTOMERS_HEALTH, "Any health",
                                [{"label": label, "value": value} for value, label in HEALTH_CHOICES]), md=2),
                dbc.Col(_select(ids.CUSTOMERS_RENEWS, "Any contract end",
                                [{"label": f"Ends or renews within {d} days", "value": str(d)}
                                 for d in customers.RENEWS_WITHIN]), md=2),
            ], className="g-2 mb-2"),
            html.Div([html.Div(id=ids.CUSTOMERS_COUNT, className="small text-muted"),
                      dbc.Button("Download CSV", id=ids.CUSTOMERS_EXPORT, size="sm", color="secondary", outline=True,
                                 title="Every customer matching these filters, in this order")],
                     className="d-flex justify-content-between align-items-center mb-2"),
            dcc.Download(id=ids.CUSTOMERS_DOWNLOAD),
            dash_table.DataTable(
                id=ids.CUSTOMERS_TABLE, data=[],
                columns=[{"id": c, "name": n, "type": t, **({"presentation": "markdown"} if c == "name" else {})}
                         for c, n, t in COLUMNS],
                markdown_options={"link_target": "_self", "html": False},
                css=[{"selector": ".dash-cell-value p", "rule": "margin: 0"},
                     {"selector": ".dash-cell-value a", "rule": "text-decoration: none; font-weight: 600"}],
                page_action="custom", page_current=0, page_size=PAGE_SIZE, page_count=1,
                sort_action="custom", sort_by=[{"column_id": "arr_usd", "direction": "desc"}],
                style_as_list_view=True, style_table={"overflowX": "auto"},
                style_header={"fontWeight": "600"},
                style_cell={"fontFamily": "var(--bs-body-font-family)", "fontVariantNumeric": "tabular-nums",
                            "fontSize": 13, "padding": "6px 10px", "textAlign": "left", "maxWidth": 280,
                            "whiteSpace": "normal", "height": "auto"},
                style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "right"}
                                        for c in ("arr_usd", "health", "health_change")],
                style_data_conditional=HEALTH_STYLES,
                tooltip_delay=300, tooltip_duration=None,
            ),
        ]), className="pulse-surface customers-card"),
        dcc.Store(id=ids.CUSTOMERS_INIT, data=0),
    ])


# ---------------------------------------------------------------- callbacks

@callback(Output(ids.CUSTOMERS_SEGMENT, "options"), Output(ids.CUSTOMERS_OWNER, "options"),
          Output(ids.CUSTOMERS_AT_RISK, "children"), Output(ids.CUSTOMERS_AT_RISK_HEALTH, "children"),
          Output(ids.CUSTOMERS_TABLE, "tooltip_header"), Output(ids.CUSTOMERS_ACTIONS, "children"),
          Input(ids.CUSTOMERS_INIT, "data"))
def fill_filters(_):
    """The quick filters' options, the At risk panel (renewals, health, open playbook actions) and the
    column tooltips (on page load)."""
    rt = get_runtime()
    try:
        health_help = health.current_config(rt.db()).tooltip()
    except LookupError as e:
        health_help = str(e)
    tooltips = {"arr_usd": ARR_HELP, "health": health_help,
                "health_change": f"Health score now − {health.DROP_DAYS} days ago (points)."}
    options = customers.filter_options(rt.db())
    today = rt.today()
    unresolved = renewals.list_renewals(rt.db(), end=today + dt.timedelta(days=364), statuses=UNCOMMITTED)
    return ([{"label": "Every segment", "value": ANY}, *({"label": v, "value": v} for v in options["segment"])],
            [{"label": "Every owner", "value": ANY}, *({"label": v, "value": v} for v in options["owner"])],
            at_risk_panel(at_risk(unresolved, today), today, customers.contracts_ending_unrenewed(rt.db(), today,
                                                                                                  AT_RISK_DAYS)),
            health_panel(*health.at_risk(rt.db(), AT_RISK_SHOWN)),
            tooltips, actions_panel(*playbooks.open_actions(rt.db(), today, AT_RISK_SHOWN), today))


SORT_KEY = {"name": "name", "segment": "segment", "owner": "owner", "arr_usd": "arr_usd",
            "last_invoice_date": "last_invoice_date", "health": "health", "tier": "tier",
            "contract_end": "contract_end"}


def _filters(search, segment, owner, renews, status, sort_by) -> dict:
    """The table's search, quick filters and sort as ``customers.customer_page`` arguments."""
    sort = (sort_by or [{}])[0]
    within = int(renews) if renews in {str(d) for d in customers.RENEWS_WITHIN} else None
    return {"search": search, "segment": None if segment in (None, ANY) else segment,
            "health": status if status in customers.HEALTH_FILTERS else None,
            "owner": None if owner in (None, ANY) else owner, "renews_within_days": within,
            "sort": SORT_KEY.get(sort.get("column_id"), "arr_usd"),
            "descending": sort.get("direction", "desc") == "desc" if sort else True}


FILTER_INPUTS = (ids.CUSTOMERS_SEARCH, ids.CUSTOMERS_SEGMENT, ids.CUSTOMERS_OWNER, ids.CUSTOMERS_RENEWS,
                 ids.CUSTOMERS_HEALTH)


@callback(Output(ids.CUSTOMERS_TABLE, "data"), Output(ids.CUSTOMERS_TABLE, "page_count"),
          Output(ids.CUSTOMERS_TABLE, "page_current"), Output(ids.CUSTOMERS_COUNT, "children"),
          *(Input(i, "value") for i in FILTER_INPUTS),
          Input(ids.CUSTOMERS_TABLE, "page_current"), Input(ids.CUSTOMERS_TABLE, "sort_by"))
def show_page(search, segment, owner, renews, status, page, sort_by):
    """One page of customers from the database (a filter change goes back to the first page)."""
    rt = get_runtime()
    if ctx.triggered_id not in (None, ids.CUSTOMERS_TABLE):
        page = 0
    result = customers.customer_page(rt.db(), rt.today(), **_filters(search, segment, owner, renews, status, sort_by),
                                     page=max(int(page or 0), 0), page_size=PAGE_SIZE)
    pages = max(1, -(-result.total // PAGE_SIZE))
    first = (page or 0) * PAGE_SIZE
    count = (f"{first + 1:,}–{first + len(result.rows):,} of {formatting.plural(result.total, 'customer')}"
             if result.total else "No customer matches these filters.")
    return table_rows(result), pages, page or 0, count


@callback(Output(ids.CUSTOMERS_DOWNLOAD, "data"), Input(ids.CUSTOMERS_EXPORT, "n_clicks"),
          *(State(i, "value") for i in FILTER_INPUTS), State(ids.CUSTOMERS_TABLE, "sort_by"),
          prevent_initial_call=True)
def export_customers(n_clicks, search, segment, owner, renews, status, sort_by):
    """Every customer matching the filters, in the table's order, as CSV (text cells formula-safe)."""
    if not n_clicks:
        raise PreventUpdate
    rt = get_runtime()
    frame = customers.customer_export(rt.db(), rt.today(),
                                      **_filters(search, segment, owner, renews, status, sort_by))
    return dcc.send_string(to_csv(frame), f"pulse-customers-{rt.today().isoformat()}.csv")
