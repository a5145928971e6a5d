"""The metric catalog: pydantic models for ``catalog.yml`` and its validation.

``load_catalog()`` parses the YAML, validates every entry and the SQL files it
names, and raises ``CatalogError`` whose message names the bad entry
(``metrics.win_rate.views[0].query: …``).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator,
                      model_validator)

from data_access.warehouse import SQL_DIR, SqlFileError, expanded_sql, sql_files  # noqa: F401

CATALOG_PATH = Path(__file__).resolve().parent / "catalog.yml"

Unit = Literal["usd", "ratio", "multiple", "days", "count", "hours", "score"]  # hours: business hours; score: NPS −100…100
FILTER_COLUMNS = {"owner": "owner_id", "month": "month"}


class CatalogError(ValueError):
    """The catalog or one of the SQL files it names is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cadence(_Strict):
    """When the worker refreshes a metric: a cron line (company time zone) or an interval."""

    cron: str | None = None
    interval_minutes: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> "Cadence":
        if (self.cron is None) == (self.interval_minutes is None):
            raise ValueError("give exactly one of cron or interval_minutes")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(self.cron)
        return self


class Tooltip(_Strict):
    """The five parts of a metric's tooltip."""

    definition: str
    why: str
    calculation: str
    target: str
    benchmark: str
    edge_cases: list[str] = []


class Chart(_Strict):
    """How a drill-down view is charted: ``kind`` and the frame columns it uses.

    ``target``: draw the metric's target in force as a reference line on the value axis and colour
    each bar (point) by its status against it (the metric's direction and yellow band).
    ``status_colors``: a status colour per category of the category axis (``At risk: yellow``).
    ``series_colors``: a fixed colour per series of a stacked bar (``Renewed: "#16a34a"``).
    ``heatmap``: cells ``z`` over ``x`` × ``y`` (a cohort triangle), optionally one panel per ``facet``."""

    @model_validator(mode="after")
    def _heatmap_has_z(self) -> "Chart":
        if (self.kind == "heatmap") != (self.z is not None):
            raise ValueError("a heatmap needs z (its cell values), and only a heatmap takes z")
        if self.facet is not None and self.kind != "heatmap":
            raise ValueError("only a heatmap takes facet")
        return self

    kind: Literal["bar", "hbar", "stacked_bar", "grouped_bar", "bar_line", "line", "funnel", "heatmap"]
    x: str
    y: str
    z: str | None = None  # heatmap: the cell value column (x and y are its axes)
    facet: str | None = None  # heatmap: one panel per value of this column, side by side (ordered by ``order``)
    bars: list[str] = []  # grouped_bar: the columns drawn side by side per x (y is the first)
    color: str | None = None
    line: str | None = None
    order: str | None = None
    top: int | None = Field(default=None, gt=0)
    target: bool = False
    status_colors: dict[str, Literal["green", "yellow", "red"]] = {}
    series_colors: dict[str, Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]] = {}


class Ratio(_Strict):
    """A ratio recomputed after re-aggregation: numerator ÷ Σ denominator columns."""

    name: str
    numerator: str
    denominator: list[str]


class Drill(_Strict):
    """Clicking a bar drills into another view of the same metric, filtered by that bar's key."""

    to: str
    by: Literal["owner"] = "owner"


class Component(_Strict):
    """One component of a derived metric: another catalog metric and its weight (any positive number;
    the weights of the components with data are renormalised to sum to 1)."""

    metric: str
    weight: float = Field(gt=0)


class Entity(_Strict):
    """A view whose rows are values of the metric per rep, segment or customer: the KPI history keeps
    one row per ``id`` (grouped with ``name``; ``value`` summed, or the view's ``ratio`` recomputed)."""

    type: Literal["rep", "segment", "customer"]
    id: str
    name: str
    value: str


class View(_Strict):
    """One drill-down tab, backed by one SQL file."""

    id: str
    title: str
    query: str
    filters: list[Literal["owner", "month", "segment"]] = []
    group_by: list[str] = []
    share_of: str | None = None
    ratio: Ratio | None = None
    add_monthly_target: bool = False
    rep_target: bool = False  # add each rep's target (their quota, else the metric's) and status
    quota_coverage: bool = False  # add each rep's quarterly quota (revenue plan) and pipeline coverage of it
    scenarios: bool = False  # add the pipeline scenarios' columns (data_access.scenarios) before grouping
    drill: Drill | None = None
    entity: Entity | None = None  # snapshot its rows as entities in the KPI history
    chart: Chart


class Metric(_Strict):
    """One KPI: its SQL (or API source), unit, direction, default target, tooltip, cadence,
    freshness SLA and views.

    ``source`` is ``warehouse`` (``query`` and view queries are SQL files) or the name of an
    external API integration (``simplefin``, ``smartlead``), whose refresh produces the frames named by
    ``query`` and the views' ``query`` (``api/<source>/<frame>``), or ``pulse_db``: computed from
    Pulse's own database (``data_access.renewal_metrics``; frames ``pulse_db/<frame>``), or ``derived``:
    worked out from the cached values of its ``components`` (``data_access.health_score``; frames
    ``derived/<frame>``).
    """

    id: str
    title: str
    page: str
    also_on: list[str] = []
    unit: Unit
    direction: Literal["higher", "lower"]
    source: Literal["warehouse", "simplefin", "smartlead", "pulse_db", "derived"] = "warehouse"
    query: str
    target: float | None = None
    target_rule: Literal["revenue_plan_ytd"] | None = None
    yellow_band: float = Field(ge=0, lt=1)
    cadence: Cadence
    freshness_sla_minutes: int = Field(gt=0)
    tooltip: Tooltip
    views: list[View] = []
    components: list[Component] = []  # source derived: the metrics it is worked out from
    owner: str = ""  # the team that owns it (the seed's exposures); empty in YAML = its page's owner
    criticality: Criticality = "medium"

    @model_validator(mode="after")
    def _target_given(self) -> "Metric":
        if self.target is None and self.target_rule is None:
            raise ValueError("give a target or a target_rule")
        if (self.source == "derived") != bool(self.components):
            raise ValueError("a derived metric lists its components, and only a derived metric does")
        ids = [v.id for v in self.views]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate view ids {ids}")
        for v in self.views:
            if v.drill and v.drill.to not in ids:
                raise ValueError(f"view {v.id} drills to unknown view {v.drill.to!r}")
        return self

    def view(self, view_id: str) -> View | None:
        return next((v for v in self.views if v.id == view_id), None)

    def frames(self) -> list[str]:
        """Names of every frame this metric's refresh produces: its value, then its views."""
        return list(dict.fromkeys([self.query] + [v.query for v in self.views]))


Criticality = Literal["critical", "high", "medium", "low"]
CRITICALITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}  # /status sorts problems by this


class Page(_Strict):
    title: str
    path: str
    description: str = ""
    owner: str = "Executive Leadership"  # the team that owns the page's metrics unless a metric names its own


class Catalog(_Strict):
    """All pages and metrics, plus ``version``: a hash of the catalog and its SQL files."""

    pages: dict[str, Page]
    metrics: dict[str, Metric]
    version: str = ""

    @field_validator("metrics", mode="before")
    @classmethod
    def _inject_ids(cls, v):
        if isinstance(v, dict):
            return {k: ({"id": k, **m} if isinstance(m, dict) else m) for k, m in v.items()}
        return v

    @model_validator(mode="before")
    @classmethod
    def _page_owners(cls, data):
        """A metric without an ``owner`` is owned by its page's owner."""
        if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
            return data
        pages = data.get("pages") if isinstance(data.get("pages"), dict) else {}
        metrics = {}
        for k, m in data["metrics"].items():
            page = pages.get(m.get("page")) if isinstance(m, dict) else None
            if isinstance(m, dict) and not m.get("owner") and isinstance(page, dict):
                m = {**m, "owner": page.get("owner") or Page.model_fields["owner"].default}
            metrics[k] = m
        return {**data, "metrics": metrics}

    def metrics_on(self, page: str) -> list[Metric]:
        """The metrics shown on ``page``: its own, then those it borrows (``also_on``)."""
        return [m for m in self.metrics.values() if m.page == page] + \
            [m for m in self.metrics.values() if page in m.also_on]

    def queries(self) -> list[str]:
        """Every SQL query the refresh runs (metric values first, then distinct view queries, then
        Pulse's own check of the pipeline settings, ``data_access.pipelines.PIPELINES_QUERY``)."""
        from data_access.pipelines import PIPELINES_QUERY

        wh = [m for m in self.metrics.values() if m.source == "warehouse"]
        out = [m.query for m in wh]
        for m in wh:
            out += [v.query for v in m.views]
        return list(dict.fromkeys(out + [PIPELINES_QUERY]))

    def metrics_reading(self, frame: str) -> list[Metric]:
        """The metrics whose value or a view is the frame ``frame``."""
        return [m for m in self.metrics.values() if frame in m.frames()]


def _check_sql(catalog: Catalog) -> None:
    for mid, m in catalog.metrics.items():
        for page in [m.page, *m.also_on]:
            if page not in catalog.pages:
                raise CatalogError(f"metrics.{mid}.page: unknown page {page!r}")
        for c in m.components:
            if c.metric not in catalog.metrics or catalog.metrics[c.metric].source == "derived":
                raise CatalogError(f"metrics.{mid}.components: {c.metric!r} is not a catalog metric of its own")
        if m.source != "warehouse":
            prefix = {"pulse_db": "pulse_db/", "derived": "derived/"}.get(m.source, f"api/{m.source}/")
            bad = [q for q in m.frames() if not q.startswith(prefix)]
            if bad:
                raise CatalogError(f"metrics.{mid}: frames of source {m.source} must be named {prefix}…, not {bad}")
            continue
        refs = [(f"metrics.{mid}.query", m.query)]
        refs += [(f"metrics.{mid}.views[{i}].query", v.query) for i, v in enumerate(m.views)]
        for where, q in refs:
            try:
                expanded_sql(q)
            except SqlFileError as e:
                raise CatalogError(f"{where}: {e}") from e


def _version(raw: str, catalog: Catalog) -> str:
    h = hashlib.sha256(raw.encode())
    for rel, path in sql_files():  # shipped SQL with PULSE_SQL_OVERRIDES_DIR overrides applied
        h.update(rel.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def parse_catalog(raw: str) -> Catalog:
    """Parse and validate catalog YAML text. Raises ``CatalogError`` naming the bad entry."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise CatalogError(f"catalog is not valid YAML: {e}") from e
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise CatalogError(f"catalog entry {where}: {err['msg']}") from e
    _check_sql(catalog)
    return catalog.model_copy(update={"version": _version(raw, catalog)})


@lru_cache(maxsize=1)
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The catalog from ``catalog.yml`` (validated, cached per process)."""
    return parse_catalog(path.read_text(encoding="utf-8"))
