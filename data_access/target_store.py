"""Writing targets safely: validate, lock, write atomically, audit.

``save_edits()`` is the only writer of the live targets file. Under an inter-process
lock (``fcntl.flock`` on ``.<name>.lock`` beside the file) it re-reads the file, applies
the edits as dated entries, validates the result exactly as a reader will, writes it to a
temporary file in the same folder, fsyncs it and ``os.replace``s it over the live file,
then appends one line per changed metric to ``audit.jsonl`` beside it:

    {"at": "2026-11-21T14:05:09Z", "user": "ops@example.com", "metric": "win_rate",
     "effective_from": "2026-11-01", "old": {"target": 0.3}, "new": {"target": 0.35}}

Readers never lock: ``os.replace`` is atomic, so they see the old file or the new one.
Every web process re-reads the file when its mtime changes (``Runtime.targets()``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from data_access.catalog import Catalog, Metric
from data_access.targets import (DEFAULT_TARGETS, SHIPPED_TARGETS, Targets, load_targets, parse_targets, rep_quotas,
                                 target_for)

log = logging.getLogger(__name__)

AUDIT_NAME = "audit.jsonl"
QUOTA_METRIC = "pipeline_coverage"  # the audit's metric for rep quota changes (Pipeline Coverage by rep uses them)
PLAN_METRIC = "revenue_ytd"  # the audit's metric for the revenue plan's per-month figures (its target is the plan)
PLAN_MONTHS = 12  # months the plan form shows, from the month a change applies from
LOCK_TIMEOUT_S = 10.0


class TargetsBusy(RuntimeError):
    """Another process held the targets lock for longer than ``LOCK_TIMEOUT_S``."""


class EditError(ValueError):
    """The edits are not valid (unknown metric, bad value, bad date); nothing was written."""


@dataclass(frozen=True)
class Edit:
    """A metric's new target and yellow band, in stored units (ratios as fractions).

    For a metric whose target follows the revenue plan (``target_rule``), ``target`` is
    the monthly plan in USD.
    """

    target: float
    yellow_band: float


@dataclass(frozen=True)
class Change:
    """One metric's change: the changed fields only (``target`` | ``monthly_plan_usd`` | ``yellow_band`` |
    ``rep_quotas``: owner id → USD per quarter, ``None`` for no quota | ``rep_targets``: owner id → the
    rep's own target in the metric's stored unit, ``None`` for the metric's | ``plan_months``: ``YYYY-MM`` →
    the month's planned revenue in USD)."""

    metric: str
    old: dict
    new: dict


@dataclass
class SaveResult:
    changes: list[Change] = field(default_factory=list)
    targets: Targets | None = None
    replaced_invalid: Path | None = None  # where a malformed file on disk was kept before the save


def audit_path(targets_path: Path) -> Path:
    """``audit.jsonl`` beside the live targets file."""
    return targets_path.with_name(AUDIT_NAME)


def lock_path(targets_path: Path) -> Path:
    return targets_path.with_name(f".{targets_path.name}.lock")


def plan_metric(metric: Metric) -> bool:
    """True when the metric's target is the revenue plan (the form edits the monthly plan)."""
    return metric.target_rule == "revenue_plan_ytd"


@contextlib.contextmanager
def targets_lock(targets_path: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Exclusive inter-process lock for writers of ``targets_path`` (``flock`` on a lock file)."""
    fd = os.open(lock_path(targets_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TargetsBusy(f"targets file busy for over {timeout_s:g} s; try again") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temp file in the same folder, fsync, ``os.replace``, fsync folder.

    The new file's mtime is strictly later than the old one's, so every reader that checks
    the mtime re-reads it even when two saves land within the file system's clock tick.
    """
    try:
        old = path.stat()
        mode, old_ns = old.st_mode & 0o777, old.st_mtime_ns
    except FileNotFoundError:
        mode, old_ns = 0o644, 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        stamp = max(time.time_ns(), old_ns + 1_000_000)
        os.utime(tmp, ns=(stamp, stamp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def append_audit(path: Path, records: list[dict]) -> None:
    """Append JSON lines in one write, fsynced (callers hold the targets lock)."""
    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit(targets_path: Path, limit: int = 100) -> list[dict]:
    """The latest ``limit`` audit records, newest first (malformed lines are skipped)."""
    path = audit_path(targets_path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in reversed(lines):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
        if len(out) >= limit:
            break
    return out


def default_targets() -> Targets:
    """What "Reset to default" restores: the targets shipped in the code folder
    (``targets/targets.json``), or the built-in defaults when that file is the live one."""
    return load_targets(SHIPPED_TARGETS, DEFAULT_TARGETS).targets


def form_values(metric: Metric, targets: Targets, day: dt.date) -> Edit:
    """The values a metric's form row edits, in force on ``day`` (stored units)."""
    target, band = target_for(metric, targets, day)
    if plan_metric(metric):
        target = targets.revenue_plan.entry_on(day).monthly_usd
    return Edit(target, band)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _upsert(entries: list[dict], day: str, values: dict, carry: tuple[str, ...]) -> None:
    """Set ``values`` on the entry dated ``day``; a new entry copies ``carry`` keys from the one in force."""
    for e in entries:
        if e.get("effective_from") == day:
            e.update(values)
            return
    in_force = None
    for e in sorted(entries, key=lambda e: e.get("effective_from") or ""):
        if (e.get("effective_from") or "") <= day:
            in_force = e
    new = {"effective_from": day, **{k: dict(in_force[k]) for k in carry if in_force and in_force.get(k)}, **values}
    entries.append(new)
    entries.sort(key=lambda e: e.get("effective_from") or "")


def apply_edits(base: Targets, catalog: Catalog, edits: dict[str, Edit], effective_from: dt.date,
                ) -> tuple[Targets, list[Change]]:
    """``base`` with ``edits`` in force from ``effective_from``; only metrics whose values differ change.

    Raises:
        EditError: an unknown metric, or a result the schema or catalog rejects.
    """
    unknown = sorted(set(edits) - set(catalog.metrics))
    if unknown:
        raise EditError(f"unknown metric {unknown[0]!r}")
    data = json.loads(base.model_dump_json())
    day = effective_from.isoformat()
    changes = []
    for mid, edit in edits.items():
        metric = catalog.metrics[mid]
        edit = Edit(float(edit.target), float(edit.yellow_band))
        before = form_values(metric, base, effective_from)
        old, new = {}, {}
        tkey = "monthly_plan_usd" if plan_metric(metric) else "target"
        if not _same(before.target, edit.target):
            old[tkey], new[tkey] = before.target, edit.target
        if not _same(before.yellow_band, edit.yellow_band):
            old["yellow_band"], new["yellow_band"] = before.yellow_band, edit.yellow_band
        if not new:
            continue
        if plan_metric(metric):
            if "monthly_plan_usd" in new:
                _upsert(data["revenue_plan"]["entries"], day, {"monthly_usd": edit.target}, ("months", "rep_quotas"))
            override = base.metrics.get(mid)
            entry = override.entry_on(effective_from) if override else None
            if "yellow_band" in new or (entry is not None and entry.target is not None):
                # the plan decides the target from now on (an explicit override would hide it)
                entries = data["metrics"].setdefault(mid, {"entries": []})["entries"]
                _upsert(entries, day, {"target": None, "yellow_band": edit.yellow_band}, ("months", "rep_quotas"))
        else:
            entries = data["metrics"].setdefault(mid, {"entries": []})["entries"]
            _upsert(entries, day, {"target": edit.target, "yellow_band": edit.yellow_band}, ("months", "rep_quotas"))
        changes.append(Change(mid, old, new))
    try:
        return parse_targets(json.dumps(data), catalog), changes
    except ValueError as e:
        raise EditError(str(e)) from None


def render(targets: Targets) -> str:
    """The file's text: the model's JSON, indented, without empty defaults."""
    data = json.loads(targets.model_dump_json(exclude_defaults=True))

    def dated(entries: list[dict]) -> list[dict]:
        return [{"effective_from": e.pop("effective_from", None), **e} for e in entries]

    out = {"revenue_plan": {"entries": dated(data["revenue_plan"]["entries"])},
           "metrics": {mid: {"entries": dated(mt["entries"])} for mid, mt in data.get("metrics", {}).items()}}
    for section in SECTIONS:  # only once an admin set them (the shipped defaults are in code)
        if section in data:
            out[section] = getattr(targets, section).model_dump()
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def _per_rep(before: dict[int, float], edits: dict[int, float | None]) -> tuple[dict[int, float], list[int]]:
    """Per-rep values after ``edits`` (owner id → value; ``None`` removes) and the owners whose value changed."""
    after = dict(before)
    for owner, value in edits.items():
        if value is None:
            after.pop(int(owner), None)
        else:
            after[int(owner)] = float(value)
    changed = sorted(o for o in set(before) | set(after)
                     if (before.get(o) is None) != (after.get(o) is None)
                     or (o in before and o in after and not _same(before[o], after[o])))
    return after, changed


def rep_target_metrics(catalog: Catalog) -> list[Metric]:
    """Metrics with a view that holds each rep to a target of their own (``rep_target``: Win Rate → By
    rep, Pipeline Coverage → Coverage by rep), in catalog order."""
    return [m for m in catalog.metrics.values() if not plan_metric(m) and any(v.rep_target for v in m.views)]


def apply_metric_rep_targets(base: Targets, catalog: Catalog, metric_id: str, targets: dict[int, float | None],
                             effective_from: dt.date) -> tuple[Targets, list[Change]]:
    """``base`` with reps' own targets for ``metric_id`` (owner id → target in the metric's stored unit, a
    ratio as a fraction; ``None``: the rep is held to the metric's target again) in force from
    ``effective_from``; the metric's target, band and month targets in force then are carried. Returns one
    ``Change`` (field ``rep_targets``: the reps whose target changed), or none.

    Raises:
        EditError: a metric without per-rep targets, or a value the schema or catalog rejects.
    """
    metric = catalog.metrics.get(metric_id)
    if metric is None or metric not in rep_target_metrics(catalog):
        raise EditError(f"metric {metric_id!r} has no per-rep targets")
    before = rep_quotas(metric, base, effective_from)
    after, changed = _per_rep(before, targets)
    if not changed:
        return base, []
    override = base.metrics.get(metric_id)
    entry = override.entry_on(effective_from) if override else None
    data = json.loads(base.model_dump_json())
    entries = data["metrics"].setdefault(metric_id, {"entries": []})["entries"]
    _upsert(entries, effective_from.isoformat(),
            {"target": entry.target if entry else None, "yellow_band": entry.yellow_band if entry else None,
             "rep_quotas": {str(o): v for o, v in sorted(after.items())}}, ("months",))
    change = Change(metric_id, {"rep_targets": {str(o): before.get(o) for o in changed}},
                    {"rep_targets": {str(o): after.get(o) for o in changed}})
    try:
        return parse_targets(json.dumps(data), catalog), [change]
    except ValueError as e:
        raise EditError(str(e)) from None


def apply_rep_quotas(base: Targets, catalog: Catalog, quotas: dict[int, float | None], effective_from: dt.date,
                     ) -> tuple[Targets, list[Change]]:
    """``base`` with the revenue plan's quarterly rep quotas (owner id → USD per quarter; ``None``
    removes a rep's quota; reps not in ``quotas`` keep theirs) in force from ``effective_from``.
    The plan's monthly figures in force then are carried into the new entry. Returns one ``Change``
    (metric ``QUOTA_METRIC``, field ``rep_quotas``: the reps whose quota changed), or none.

    Raises:
        EditError: a quota the schema rejects (negative, not finite, too large).
    """
    entry = base.revenue_plan.entry_on(effective_from)
    before = base.revenue_plan.rep_quarter_quotas(effective_from)
    after, changed = _per_rep(before, quotas)
    if not changed:
        return base, []
    data = json.loads(base.model_dump_json())
    _upsert(data["revenue_plan"]["entries"], effective_from.isoformat(),
            {"monthly_usd": entry.monthly_usd, "rep_quotas": {str(o): usd for o, usd in sorted(after.items())}},
            ("months",))
    change = Change(QUOTA_METRIC, {"rep_quotas": {str(o): before.get(o) for o in changed}},
                    {"rep_quotas": {str(o): after.get(o) for o in changed}})
    try:
        return parse_targets(json.dumps(data), catalog), [change]
    except ValueError as e:
        raise EditError(str(e)) from None


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def plan_months(targets: Targets, start: dt.date, n: int = PLAN_MONTHS) -> list[tuple[str, float, bool]]:
    """The months a plan change from ``start`` (a month's first day) can set: ``(YYYY-MM, planned USD in
    force, True when the month has its own figure rather than the monthly plan)``, ``n`` months from
    ``start`` or fewer when a later plan entry takes over (its months are edited from its own date)."""
    entry = targets.revenue_plan.entry_on(start)
    later = [e.effective_from for e in targets.revenue_plan.entries if e.effective_from and e.effective_from > start]
    stop = min(later) if later else None
    out, day = [], start.replace(day=1)
    while len(out) < n and (stop is None or day < stop):
        key = f"{day:%Y-%m}"
        out.append((key, float(entry.months.get(key, entry.monthly_usd)), key in entry.months))
        day = _next_month(day)
    return out


def apply_plan_months(base: Targets, catalog: Catalog, months: dict[str, float | None], effective_from: dt.date,
                      ) -> tuple[Targets, list[Change]]:
    """``base`` with the revenue plan's figures for single months (``YYYY-MM`` → USD; ``None``: the month
    follows the monthly plan again) in a plan entry from ``effective_from``; the monthly plan, other
    months and rep quotas in force then are carried. Only months ``plan_months`` offers may be set.
    Returns one ``Change`` (metric ``PLAN_METRIC``, field ``plan_months``: each changed month's planned
    USD before and after), or none.

    Raises:
        EditError: a month that is not offered, or a figure the schema rejects (negative, not finite, too large).
    """
    offered = {m: usd for m, usd, _ in plan_months(base, effective_from)}
    unknown = sorted(set(months) - set(offered))
    if unknown:
        raise EditError(f"month {unknown[0]!r} can't be set from {effective_from:%B %Y}")
    entry = base.revenue_plan.entry_on(effective_from)
    own = dict(entry.months)
    for month, usd in months.items():
        if usd is None:
            own.pop(month, None)
        else:
            own[month] = float(usd)
    after = {m: own.get(m, entry.monthly_usd) for m in months}
    changed = sorted(m for m in months if not _same(offered[m], after[m]) or (m in own) != (m in entry.months))
    if not changed:
        return base, []
    data = json.loads(base.model_dump_json())
    _upsert(data["revenue_plan"]["entries"], effective_from.isoformat(),
            {"monthly_usd": entry.monthly_usd, "months": dict(sorted(own.items()))}, ("rep_quotas",))
    change = Change(PLAN_METRIC, {"plan_months": {m: offered[m] for m in changed}},
                    {"plan_months": {m: after[m] for m in changed}})
    try:
        return parse_targets(json.dumps(data), catalog), [change]
    except ValueError as e:
        raise EditError(str(e)) from None


def save_edits(targets_path: Path, catalog: Catalog, edits: dict[str, Edit], effective_from: dt.date,
               user: str, fallback: Targets, now: dt.datetime | None = None) -> SaveResult:
    """Validate and apply ``edits`` (per metric target and band) to the live file; see ``_save``.

    Raises:
        EditError: nothing was written. TargetsBusy: the lock was not free within 10 s.
    """
    return _save(targets_path, catalog, lambda base: apply_edits(base, catalog, edits, effective_from),
                 effective_from, user, fallback, now)


def save_rep_quotas(targets_path: Path, catalog: Catalog, quotas: dict[int, float | None], effective_from: dt.date,
                    user: str, fallback: Targets, now: dt.datetime | None = None) -> SaveResult:
    """Set reps' quarterly quotas (USD; ``None`` removes) from ``effective_from`` in the live file;
    see ``apply_rep_quotas`` and ``_save``.

    Raises:
        EditError: nothing was written. TargetsBusy: the lock was not free within 10 s.
    """
    return _save(targets_path, catalog, lambda base: apply_rep_quotas(base, catalog, quotas, effective_from),
                 effective_from, user, fallback, now)


def save_plan_months(targets_path: Path, catalog: Catalog, months: dict[str, float | None], effective_from: dt.date,
                     user: str, fallback: Targets, now: dt.datetime | None = None) -> SaveResult:
    """Set the revenue plan of single months (USD; ``None``: back to the monthly plan) from ``effective_from``
    in the live file; see ``apply_plan_months`` and ``_save``.

    Raises:
        EditError: nothing was written. TargetsBusy: the lock was not free within 10 s.
    """
    return _save(targets_path, catalog, lambda base: apply_plan_months(base, catalog, months, effective_from),
                 effective_from, user, fallback, now)


def save_metric_rep_targets(targets_path: Path, catalog: Catalog, metric_id: str, targets: dict[int, float | None],
                            effective_from: dt.date, user: str, fallback: Targets,
                            now: dt.datetime | None = None) -> SaveResult:
    """Set reps' own targets for one metric from ``effective_from`` in the live file; see
    ``apply_metric_rep_targets`` and ``_save``.

    Raises:
        EditError: nothing was written. TargetsBusy: the lock was not free within 10 s.
    """
    return _save(targets_path, catalog,
                 lambda base: apply_metric_rep_targets(base, catalog, metric_id, targets, effective_from),
                 effective_from, user, fallback, now)


def _save(targets_path: Path, catalog: Catalog, change: Callable[[Targets], tuple[Targets, list[Change]]],
          effective_from: dt.date, user: str, fallback: Targets, now: dt.datetime | None) -> SaveResult:
    """Apply ``change`` to the live file, atomically and under the lock; audit each change.

    ``fallback`` (the last valid targets this process holds) is the base when the file on
    disk is missing or malformed; a malformed file is first copied to
    ``<name>.rejected-<UTC time>`` beside it, so a hand edit is never lost.
    """
    audit = audit_path(targets_path)
    targets_path.parent.mkdir(parents=True, exist_ok=True)  # the first save creates the live file's folder
    with targets_lock(targets_path):
        replaced = None
        try:
            raw = targets_path.read_bytes()
        except FileNotFoundError:
            base = fallback
        else:
            try:
                base = parse_targets(raw, catalog)
            except ValueError:
                base = fallback
                stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
                replaced = targets_path.with_name(f"{targets_path.name}.rejected-{stamp}")
                shutil.copy2(targets_path, replaced)
        new, changes = change(base)
        if not changes:
            return SaveResult([], base)
        text = render(new)
        parse_targets(text, catalog)  # exactly what readers will parse
        atomic_write(targets_path, text)
        at = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        append_audit(audit, [{"at": at.isoformat(timespec="seconds").replace("+00:00", "Z"), "user": user,
                              "metric": c.metric, "effective_from": effective_from.isoformat(),
                              "old": c.old, "new": c.new} for c in changes])
    log.info("targets saved by %s: %s", user, ", ".join(c.metric for c in changes))
    return SaveResult(changes, new, replaced)


# The whole-section settings of the targets file (not dated: in force from the save on) → the metric
# the audit files the change under.
SECTIONS = {"pipeline_scenarios": "weighted_pipeline_usd", "support_sla_targets": "ticket_sla_compliance",
            "health_score_weights": "health_score"}
SCENARIO_METRIC = SECTIONS["pipeline_scenarios"]
SECTION_NAMES = {"pipeline_scenarios": "the scenario weights", "support_sla_targets": "the support SLA targets",
                 "health_score_weights": "the health score weights"}


def section_revision(targets: Targets, section: str) -> str:
    """A short fingerprint of one section in force (``SECTIONS``): the Settings form keeps the one it
    was filled from, and a save whose fingerprint no longer matches the file is refused (a stale edit)."""
    text = json.dumps(getattr(targets, section).model_dump(), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def apply_section(base: Targets, catalog: Catalog, section: str, values: dict, revision: str | None = None,
                  ) -> tuple[Targets, list[Change]]:
    """``base`` with the whole section ``section`` (a key of ``SECTIONS``) replaced by ``values``.
    ``revision``: the fingerprint the form was filled from; when the section in ``base`` has another,
    someone saved in between and nothing is applied. Returns one ``Change`` (metric
    ``SECTIONS[section]``, field ``section``), or none when nothing changed.

    Raises:
        EditError: a stale edit, or a value the schema rejects (e.g. a commit threshold outside 0–1,
        a weight outside 0–10, an SLA target of 0 h or a resolution shorter than the first reply).
    """
    if revision is not None and revision != section_revision(base, section):
        raise EditError(f"{SECTION_NAMES[section]} were changed by someone else — reload")
    data = json.loads(base.model_dump_json())
    data[section] = values
    try:
        new = parse_targets(json.dumps(data, allow_nan=True), catalog)
    except ValueError as e:
        raise EditError(str(e)) from None
    old, after = getattr(base, section).model_dump(), getattr(new, section).model_dump()
    if old == after:
        return base, []
    return new, [Change(SECTIONS[section], {section: old}, {section: after})]


def save_section(targets_path: Path, catalog: Catalog, section: str, values: dict, revision: str | None,
                 user: str, fallback: Targets, now: dt.datetime | None = None) -> SaveResult:
    """Set one whole section in the live file (in force at once; the audit's ``effective_from`` is the
    day of the save); see ``apply_section`` and ``_save``. The stale check runs under the lock.

    Raises:
        EditError: nothing was written. TargetsBusy: the lock was not free within 10 s.
    """
    day = (now or dt.datetime.now(dt.timezone.utc)).date()
    return _save(targets_path, catalog, lambda base: apply_section(base, catalog, section, values, revision),
                 day, user, fallback, now)


def scenarios_revision(targets: Targets) -> str:
    """``section_revision`` of the pipeline scenarios."""
    return section_revision(targets, "pipeline_scenarios")


def apply_scenarios(base: Targets, catalog: Catalog, values: dict, revision: str | None = None,
                    ) -> tuple[Targets, list[Change]]:
    """``apply_section`` of the pipeline scenarios (``commit_threshold``, ``best_weights``, ``worst_weights``)."""
    return apply_section(base, catalog, "pipeline_scenarios", values, revision)


def save_scenarios(targets_path: Path, catalog: Catalog, values: dict, revision: str | None, user: str,
                   fallback: Targets, now: dt.datetime | None = None) -> SaveResult:
    """``save_section`` of the pipeline scenarios."""
    return save_section(targets_path, catalog, "pipeline_scenarios", values, revision, user, fallback, now)
