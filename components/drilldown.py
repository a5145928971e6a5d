"""The drill-down modal: shell, header, filter bar and a view's chart + table (pure builders)."""
from __future__ import annotations

import functools

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dash_table, dcc, html
from dash.dash_table.Format import Format, Group, Scheme, Symbol

from components import figures, formatting, ids
from data_access.catalog import Metric, View
from data_access.export import is_sort_helper
from data_access.metrics import DATE_SUFFIXES, UNASSIGNED_OWNER, display_records
from data_access.renewal_deals import RENEWAL_COLUMN, lists_deals, renewal_flags

NO_DATA = "No data for this period"
HIDDEN_COLUMNS = {"owner_id", "customer_id", "deal_id"}  # keys: in the exports, not on screen


def shown_columns(df: pd.DataFrame) -> list[str]:
    """The columns a table shows: no keys (``HIDDEN_COLUMNS``), no sort helpers (``*_order``)."""
    return [c for c in df.columns if c not in HIDDEN_COLUMNS and not is_sort_helper(c)]


def modal(initial: dict | None = None) -> dbc.Modal:
    """The drill-down modal a KPI page includes once; callbacks fill it.

    ``initial`` is the drill-down state from the page URL (``{"metric", "view", "rep",
    "start", "end", "segment"}``): when it names a metric the modal opens on it, so a
    shared link restores the same drill-down.
    """
    initial = initial or {}
    return dbc.Modal(
        [
            dbc.ModalHeader(html.Div([dbc.ModalTitle(id=ids.DRILLDOWN_HEADER),
                                      html.Div(id=ids.DRILLDOWN_SCOPE, className="small text-muted drilldown-scope")])),
            dbc.ModalBody(
                [
                    dcc.Store(id=ids.DRILLDOWN_STATE, data=initial or None),
                    dcc.Store(id=ids.URL_SYNC),
                    dcc.Store(id=ids.FILTERS_APPLIED),
                    dcc.Store(id=ids.FILTERS_READY),
                    dcc.Download(id=ids.EXPORT_DOWNLOAD),
                    html.Div(
                        [
                            html.Div(id=ids.BREADCRUMB, className="me-auto"),
                            html.Span(id=ids.REFRESH_NOTICE, className="small text-muted me-2"),
                            dbc.ButtonGroup(
                                [dbc.Button("CSV", id=ids.EXPORT_CSV, size="sm", color="secondary", outline=True,
                                            title="Download this view with its filters as CSV"),
                                 dbc.Button("XLSX", id=ids.EXPORT_XLSX, size="sm", color="secondary", outline=True,
                                            title="Download this view with its filters as an Excel file")],
                                className="me-2",
                            ),
                            dbc.Button("Refresh now", id=ids.REFRESH_NOW, size="sm", color="secondary", outline=True),
                        ],
                        className="d-flex align-items-center mb-2 gap-1",
                    ),
                    dbc.Tabs(id=ids.DRILLDOWN_TABS, className="mb-3"),
                    filter_bar(),
                    dcc.Loading(html.Div(id=ids.DRILLDOWN_BODY), type="dot", delay_show=150),
                ]
            ),
        ],
        id=ids.DRILLDOWN_MODAL,
        size="xl",
        scrollable=True,
        is_open=bool(initial.get("metric")),
    )


def filter_bar() -> dbc.Row:
    """Rep multi-select, segment multi-select and month range; hidden for views without them."""
    return dbc.Row(
        [
            dbc.Col(
                [dbc.Label("Rep", html_for=ids.FILTER_REP, className="small text-muted mb-1"),
                 dcc.Dropdown(id=ids.FILTER_REP, multi=True, placeholder="All reps")],
                md=4, id={"type": "filter-col", "dim": "owner"},
            ),
            dbc.Col(
                [dbc.Label("Segment", html_for=ids.FILTER_SEGMENT, className="small text-muted mb-1"),
                 dcc.Dropdown(id=ids.FILTER_SEGMENT, multi=True, placeholder="All segments")],
                md=4, id={"type": "filter-col", "dim": "segment"},
            ),
            dbc.Col(
                [dbc.Label("From month", html_for=ids.FILTER_START, className="small text-muted mb-1"),
                 dcc.Dropdown(id=ids.FILTER_START, placeholder="Start", clearable=True)],
                md=2, id={"type": "filter-col", "dim": "start"},
            ),
            dbc.Col(
                [dbc.Label("To month", html_for=ids.FILTER_END, className="small text-muted mb-1"),
                 dcc.Dropdown(id=ids.FILTER_END, placeholder="End", clearable=True)],
                md=2, id={"type": "filter-col", "dim": "end"},
            ),
            html.Div(id=ids.FILTER_MONTH_HINT, className="small text-muted filter-month-hint"),
        ],
        id=ids.DRILLDOWN_FILTERS,
        className="g-2 mb-3",
    )


def breadcrumb(metric: Metric, crumbs: list[dict], current_label: str) -> list:
    """The drill path inside the modal: earlier steps are links back, the last is the current view."""
    if not crumbs:
        return []
    items = []
    for i, crumb in enumerate(crumbs):
        items.append(dbc.Button(crumb["label"], id=ids.crumb(i), color="link", size="sm", n_clicks=0,
                                className="crumb-link p-0 align-baseline"))
        items.append(html.Span(" › ", className="text-muted"))
    items.append(html.Span(current_label, className="fw-semibold"))
    return [html.Nav(items, className="small", **{"aria-label": "Drill path"})]


def computing_body(day_text: str) -> html.Div:
    """The body while the worker computes a view for a past day; its interval re-checks every 2 s
    (for 2 minutes) and goes away with the body when the frames arrive."""
    return html.Div([
        dbc.Spinner(size="sm", color="primary", spinner_class_name="me-2"),
        html.Span(f"Computing {day_text}… the worker is recomputing this view for that day; it appears here "
                  "in a few seconds."),
        dcc.Interval(id=ids.past_poll(day_text), interval=2000, max_intervals=60),
    ], className="drilldown-computing text-muted py-4")


def header(metric: Metric, value_text: str, status_label: str, status_color: str, as_of: str) -> list:
    """Modal title: metric title, value, status badge and as-of line."""
    return [
        html.Span(metric.title, className="me-2"),
        html.Span(value_text, className="fw-bold me-2") if value_text else None,
        dbc.Badge(status_label, color=status_color, pill=True, className="me-2 align-middle"),
        html.Small(as_of, className="text-muted fw-normal fs-6 d-inline-block"),  # wraps as one piece
    ]


def export_name(metric_id: str, view_id: str, filters: dict, as_of: str, ext: str) -> str:
    """``pipeline_coverage__open_deals__rep-123-456__2026-01_2026-03__as-of-2026-11-21.csv``"""
    parts = [metric_id, view_id]
    if filters.get("rep"):
        parts.append("rep-" + "-".join("unassigned" if r == UNASSIGNED_OWNER else str(r) for r in filters["rep"]))
    if filters.get("segment"):
        parts.append("segment-" + "-".join(_slug(s) for s in filters["segment"]))
    if filters.get("start") or filters.get("end"):
        parts.append(f"{filters.get('start') or 'start'}_{filters.get('end') or 'end'}")
    parts.append(f"as-of-{as_of}")
    return "__".join(parts) + f".{ext}"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(text).lower()).strip("-")


def tabs(metric: Metric) -> list[dbc.Tab]:
    """One tab per drill-down view (``tab_id`` = view id)."""
    return [dbc.Tab(label=v.title, tab_id=v.id) for v in metric.views]


def month_options(months: list) -> list[dict]:
    """Dropdown options ``{"label": "Nov 2026", "value": "2026-11"}``: every month from the
    earliest to the latest of ``months`` (gaps included, so an empty month can be chosen)."""
    stamps = [pd.Timestamp(m) for m in months if pd.notna(m)]
    if not stamps:
        return []
    span = pd.period_range(min(stamps).to_period("M"), max(stamps).to_period("M"), freq="M")
    return [{"label": p.strftime("%b %Y"), "value": p.strftime("%Y-%m")} for p in span]


FEW_MONTHS = 6  # a month range this short is explained (the view holds only the metric's window)


def month_hint(options: list[dict]) -> str:
    """What the month filter can choose from, given ``month_options``: ``Months with data: Sep–Nov 2026
    (3 months), the metric's window (the card's tooltip says which).`` (the second part when there are
    ``FEW_MONTHS`` or fewer); ``""`` without months."""
    if not options:
        return ""
    months = [pd.Timestamp(o["value"] + "-01") for o in options]
    text = f"Months with data: {formatting.period_text(months)} ({formatting.plural(len(months), 'month')})"
    if len(months) <= FEW_MONTHS:
        text += ", the metric's window (the card's tooltip says which)"
    return text + "."


def scope_text(filters: dict, filterable: bool) -> str:
    """Under the modal's title: the value there is the metric's unfiltered total, so when a filter is
    set (``{"rep": [...], "segment": [...], "start", "end"}``) say that the filters narrow only the
    chart and table below; ``""`` when nothing is filtered or the view has no filter."""
    active = filterable and any(filters.get(k) for k in ("rep", "segment", "start", "end"))
    if not active:
        return ""
    return ("The value above is the unfiltered total; the filters narrow the chart, the table and its "
            "totals line.")


def _column(name: str, dtype) -> dict:
    """A DataTable column (title, type, number format) for ``name`` of ``dtype``; a fresh dict each call."""
    return dict(_column_spec(name, dtype))


@functools.lru_cache(maxsize=1024)
def _column_spec(name: str, dtype) -> dict:  # views repeat their columns: built once per name and dtype
    kind = formatting.column_kind(name)
    col = {"name": formatting.column_title(name), "id": name}
    if kind == "usd":
        col.update(type="numeric", format=Format(precision=0, scheme=Scheme.fixed, group=Group.yes,
                                                 symbol=Symbol.yes, symbol_prefix="$"))
    elif kind == "ratio":
        col.update(type="numeric", format=Format(precision=1, scheme=Scheme.percentage))
    elif kind == "multiple":
        col.update(type="numeric", format=Format(precision=1, scheme=Scheme.fixed, symbol=Symbol.yes,
                                                 symbol_suffix="×"))
    elif kind == "hours":  # business hours: 1.5 h, not 2
        col.update(type="numeric", format=Format(precision=1, scheme=Scheme.fixed, group=Group.yes))
    elif kind == "id":
        col.update(type="text")  # an identifier: 22154, never "22,154"
    elif kind in ("count", "days") or pd.api.types.is_numeric_dtype(dtype):
        col.update(type="numeric", format=Format(precision=0, scheme=Scheme.fixed, group=Group.yes))
    return col


def totals_text(df: pd.DataFrame, not_additive: tuple[str, ...] = ()) -> str:
    """``42 rows · Amount (USD) $4.20M · Deal (count) 128`` for the additive columns (``1 row`` for
    one); ``not_additive`` columns (a funnel's stage counts, which nest) are not summed."""
    parts = [formatting.plural(len(df), "row")]
    for c in df.columns:
        if c in not_additive or is_sort_helper(c):
            continue
        kind = formatting.column_kind(c)
        if kind == "usd":
            parts.append(f"{formatting.column_title(c)} {formatting.usd(df[c].sum())}")
        elif kind == "count":
            parts.append(f"{formatting.column_title(c)} {df[c].sum():,.0f}")
    return " · ".join(parts)


def view_body_error(message: str) -> list:
    """A clear message in place of a view (bad filter input), never a traceback."""
    return [dbc.Alert(message, color="warning", className="my-3")]


PAGE_SIZE = 12
STATUS_TEXT_COLOR = {"On target": "#15803d", "Near target": "#b45309", "Off target": "#b91c1c"}


def table_page(df: pd.DataFrame, page: int = 0, sort_by: list | None = None, page_size: int = PAGE_SIZE,
               renewal_deals: frozenset[str] = frozenset()) -> list[dict]:
    """Rows ``page`` (0-based) of ``df`` as table records, sorted by the DataTable's ``sort_by``
    (``[{"column_id", "direction": "asc"|"desc"}]``; missing values last); hidden columns dropped,
    dates as text. Only this page is converted and sent: a view may hold many thousand rows.

    In a deal list, a row whose deal a renewal links (``deal_id`` in ``renewal_deals``, the published
    ``data_access.renewal_deals`` set) is marked once the page is cut: its name reads
    ``Deal name · Renewal`` and the record carries ``"renewal": True`` (not a column; the table's
    accent and tooltip key on it)."""
    shown = shown_columns(df)
    for key in reversed(sort_by or []):
        if key.get("column_id") in shown:
            df = df.sort_values(key["column_id"], ascending=key.get("direction") != "desc", kind="stable",
                                na_position="last")
    start = max(int(page or 0), 0) * page_size
    rows = df.iloc[start:start + page_size]
    records = display_records(rows, month_format="%Y-%m", columns=shown)  # the page's rows, then its columns
    if renewal_deals and lists_deals(rows):
        name = name_column(shown)
        for record, linked in zip(records, renewal_flags(rows, renewal_deals)):
            if linked:
                record[RENEWAL_COLUMN] = True
                if name:
                    record[name] = renewal_name(record[name])
    return records


RENEWAL_MARK = "Renewal"
RENEWAL_TIP = "A Pulse renewal links this deal (Renewals page)"
NAME_COLUMNS = ("deal_name", "venue_name")  # the cell of a deal list that carries the renewal mark


def name_column(shown: list[str]) -> str | None:
    """The column naming a deal list's rows (``deal_name``; ``venue_name`` on supply lists), if shown."""
    return next((c for c in NAME_COLUMNS if c in shown), None)


def renewal_name(name) -> str:
    """A renewal deal's name as the table shows it: ``Acme expansion · Renewal`` (``Renewal`` unnamed)."""
    return f"{name} · {RENEWAL_MARK}" if name not in (None, "") else RENEWAL_MARK


def _renewal_styles(df: pd.DataFrame, shown: list[str]) -> tuple[list[dict], list[dict]]:
    """The accent (an info-coloured bar at the cell's left, as the customer page's Renewal badge) and
    the tooltip of a renewal deal's name cell; none when ``df`` lists no deals. The condition reads the
    record's ``renewal`` key, present (``True``) on marked rows only."""
    name = name_column(shown)
    if name is None or not lists_deals(df):
        return [], []
    when = {"column_id": name, "filter_query": f"{{{RENEWAL_COLUMN}}} is bool"}
    return ([{"if": when, "boxShadow": "inset 3px 0 0 var(--bs-info, #0dcaf0)", "fontWeight": 600}],
            [{"if": when, "type": "text", "value": RENEWAL_TIP}])


def view_title(view: View, df: pd.DataFrame) -> str:
    """The chart's title: the view's, with the period its rows cover (``By month vs target,
    Dec 2025–Nov 2026``) when the frame has months."""
    period = formatting.period_text(pd.to_datetime(df["month"]).tolist()) if "month" in df.columns else None
    return f"{view.title}, {period}" if period else view.title


def view_body(view: View, df: pd.DataFrame, page_size: int = PAGE_SIZE,
              reference: figures.Reference | None = None, dark: bool = False,
              renewal_deals: frozenset[str] = frozenset()) -> list:
    """Chart + sortable, paged table of one view; a clear message when ``df`` has no rows.
    The table holds its first page; ``pages.drilldown.page_table`` serves the others. ``reference``
    (the metric's target, direction, band) colours the chart by status (``figures.view_figure``); ``dark``
    draws it for the dark theme. ``renewal_deals``: the deal ids renewals link (``table_page`` marks them)."""
    if df.empty:
        return [dbc.Alert(NO_DATA, color="light", className="text-center my-4 py-4 no-data")]
    shown, dtypes = shown_columns(df), df.dtypes
    renewal_style, renewal_tooltip = _renewal_styles(df, shown)
    table = dash_table.DataTable(
        data=table_page(df, 0, None, page_size, renewal_deals),
        columns=[_column(c, dtypes[c]) for c in shown],
        sort_action="custom",
        sort_by=[],
        page_action="custom",
        page_current=0,
        page_size=page_size,
        page_count=max(1, -(-len(df) // page_size)),
        style_as_list_view=True,
        style_table={"overflowX": "auto"},
        style_header={"fontWeight": "600", "whiteSpace": "normal", "height": "auto", "verticalAlign": "bottom"},
        style_data={"whiteSpace": "normal", "height": "auto"},  # long names wrap: no sideways scroll
        style_cell={"fontFamily": "var(--bs-body-font-family)", "fontVariantNumeric": "tabular-nums",
                    "fontSize": 13, "padding": "6px 10px", "textAlign": "left", "minWidth": 64, "maxWidth": 280},
        style_cell_conditional=[{"if": {"column_type": "numeric"}, "textAlign": "right", "whiteSpace": "nowrap"}] +
                               [{"if": {"column_id": c}, "whiteSpace": "nowrap"} for c in shown
                                if c.endswith(DATE_SUFFIXES)],  # numbers and dates never break
        style_data_conditional=[{"if": {"column_id": "vs_target", "filter_query": f'{{vs_target}} = "{label}"'},
                                 "color": color, "fontWeight": 600} for label, color in STATUS_TEXT_COLOR.items()]
                               + renewal_style,
        tooltip_conditional=renewal_tooltip,
        id=ids.drill_table(view.id),
    )
    hint = [html.Div(f"Click a bar to see its {view.drill.to.replace('_', ' ')}.", className="small text-muted")] \
        if view.drill else []
    return [
        dcc.Graph(figure=figures.view_figure(view.chart, df, view_title(view, df), reference, dark), config=figures.GRAPH_CONFIG,
                  id=ids.drill_graph(view.id)),
        *hint,
        html.Div(totals_text(df, (view.chart.x,) if view.chart.kind == "funnel"
                             else tuple(df.columns) if view.chart.kind == "heatmap" else ()),
                 className="small text-muted mb-2 drilldown-totals"),
        table,
    ]
