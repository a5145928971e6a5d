"""Memoized drill-down views (flask-caching), keyed by the inputs and the frame's refresh.

``filtered_view(rt, metric, view, owners, start, end)`` returns the filtered and
re-aggregated frame of a view. Results are memoized under the view, the filters and the
cached frame's ``refreshed_at`` (plus the targets' revision, for views that add targets),
so a refresh or a target change is a new key, never a stale hit.

Backend: ``RedisCache`` when ``PULSE_REDIS_URL`` is set (shared by all web processes),
``SimpleCache`` (per process) otherwise. The Redis backend serializes with Arrow IPC and
plain text, never pickle: unpickling bytes from a shared cache would be code execution.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading

import pandas as pd
from cachetools import LRUCache, cached
from cachelib.serializers import BaseRedisSerializer
from flask_caching import Cache
from flask_caching.backends.rediscache import RedisCache

from data_access.catalog import Metric, View
from data_access.frame_store import CachedFrame, FrameMeta, frame_from_bytes, frame_to_bytes
from data_access.metrics import MonthSums, group_sums, view_frame

log = logging.getLogger(__name__)

cache = Cache()
TIMEOUT_S = 24 * 3600


class NoPickleSerializer(BaseRedisSerializer):
    """Redis values: ints as ASCII (for INCR), ``s``+UTF-8 text, ``n`` for None, ``a``+Arrow IPC
    for DataFrames. Anything else is refused (``TypeError``) rather than pickled."""

    _META = FrameMeta("view", dt.date(1970, 1, 1), dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc), 0.0, 0)

    def dumps(self, value, protocol=None) -> bytes:
        if type(value) is int:
            return str(value).encode("ascii")
        if value is None:
            return b"n"
        if isinstance(value, str):
            return b"s" + value.encode("utf-8")
        if isinstance(value, pd.DataFrame):
            return b"a" + frame_to_bytes(CachedFrame(value, self._META))
        raise TypeError(f"refusing to cache a {type(value).__name__} (only int, str, None, DataFrame)")

    def loads(self, value: bytes | None):
        if value is None:
            return None
        tag, body = value[:1], value[1:]
        if tag == b"n":
            return None
        if tag == b"s":
            return body.decode("utf-8")
        if tag == b"a":
            return frame_from_bytes(body).frame
        return int(value)


class PulseRedisCache(RedisCache):
    """flask-caching's RedisCache with the no-pickle serializer."""

    serializer = NoPickleSerializer()


def init_cache(server, settings) -> None:
    """Attach the view cache to the Flask server: Redis when configured, else in-process."""
    if settings.redis_url is not None:
        config = {"CACHE_TYPE": "data_access.view_cache.PulseRedisCache",
                  "CACHE_REDIS_URL": settings.redis_url.get_secret_value(),
                  "CACHE_KEY_PREFIX": "pulse:views:",
                  "CACHE_OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1}}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    cache.init_app(server, config={**config, "CACHE_DEFAULT_TIMEOUT": TIMEOUT_S})


@cached(LRUCache(maxsize=32), lock=threading.Lock(),
        key=lambda metric_id, view, frame: (metric_id, view.id, view.query, frame.meta.refreshed_at))
def _month_sums(metric_id: str, view: View, frame: CachedFrame) -> MonthSums | None:
    """``MonthSums`` of a view's cached frame, built on its first month-range request in this process;
    a refresh is a new key (the oldest of 32 go first)."""
    return MonthSums.build(view, frame.frame)


@cached(LRUCache(maxsize=32), lock=threading.Lock(),
        key=lambda metric_id, view, frame: (metric_id, view.id, view.query, frame.meta.refreshed_at))
def _group_sums(metric_id: str, view: View, frame: CachedFrame) -> pd.DataFrame | None:
    """``group_sums`` of a view's cached frame (its groups without filters), built on its first rep or
    segment filter in this process; a refresh is a new key."""
    return group_sums(view, frame.frame)


def _compute(rt, metric_id: str, view_id: str, owners: tuple[int, ...], start: dt.date | None,
             end: dt.date | None, segments: tuple[str, ...] = ()) -> pd.DataFrame | None:
    view = rt.catalog.metrics[metric_id].view(view_id)
    cached = rt.store.get(view.query)
    if cached is None:
        return None
    month_sums = _month_sums(metric_id, view, cached) if view.group_by and (start or end) else None
    groups = _group_sums(metric_id, view, cached) if view.group_by and (owners or segments) else None
    return view_frame(view, cached.frame, owners=list(owners), start=start, end=end, targets=rt.targets().targets,
                      segments=list(segments), metric=rt.catalog.metrics[metric_id], as_of=cached.meta.as_of,
                      month_sums=month_sums, groups=groups)


@cache.memoize(timeout=TIMEOUT_S, args_to_ignore=["rt"])
def _memoized(rt, metric_id: str, view_id: str, owners: tuple[int, ...], start: dt.date | None,
              end: dt.date | None, segments: tuple[str, ...], frame_version: str) -> pd.DataFrame | None:
    return _compute(rt, metric_id, view_id, owners, start, end, segments)


def view_version(rt, view: View) -> str | None:
    """What a filtered view depends on besides its filters: the cached frame's refresh time, plus
    the targets' revision for views that add targets. ``None`` before the first refresh."""
    meta = rt.store.get_meta(view.query)
    if meta is None:
        return None
    version = f"{meta.refreshed_at.isoformat()}|{meta.as_of.isoformat()}"  # a past day's frames: their own
    if view.add_monthly_target or view.rep_target or view.quota_coverage or view.chart.target or view.scenarios:
        version += f"|targets:{rt.targets_revision()}"
    return version


def filtered_view(rt, metric: Metric, view: View, owners: list[int] | None = None,
                  start: dt.date | None = None, end: dt.date | None = None,
                  segments: list[str] | None = None) -> pd.DataFrame | None:
    """The view's frame with filters applied (``None`` before its first refresh), memoized.

    Falls back to computing in-process when the cache backend is unreachable.
    """
    version = view_version(rt, view)
    if version is None:
        return None
    key_owners = tuple(sorted(set(owners or [])))
    key_segments = tuple(sorted(set(segments or [])))
    try:
        return _memoized(rt, metric.id, view.id, key_owners, start, end, key_segments, version)
    except Exception as e:  # no app context, or the cache backend is down: compute here, lose nothing
        log.warning("view cache unavailable (%s); computing %s/%s directly", type(e).__name__, metric.id, view.id)
        return _compute(rt, metric.id, view.id, key_owners, start, end, key_segments)
