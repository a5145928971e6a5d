"""The frame store: where refreshed frames wait for callbacks to read them.

Callbacks only ever read from here; they never query the warehouse.

- ``MemoryFrameStore``: in-process (the embedded default, and tests).
- ``RedisFrameStore``: Arrow IPC stream bytes with LZ4 compression (never pickle:
  unpickling bytes from a shared cache would be code execution). Keys are
  ``pulse:<catalog version>:…`` so a deploy with a changed catalog or SQL never
  reads frames of the old shape.

Every frame is stored with its ``FrameMeta`` (as-of date, refresh time, duration,
rows, query). Refresh outcomes (success or the sanitized error of the last
failure) are kept separately, so a failure never removes the last good frame.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import asdict, dataclass
from typing import Protocol

import pandas as pd
import pyarrow as pa

_META_KEY = b"pulse"


@dataclass(frozen=True)
class FrameMeta:
    """About one stored frame. ``refreshed_at`` is UTC; ``duration_s`` in seconds."""

    query: str
    as_of: dt.date
    refreshed_at: dt.datetime
    duration_s: float
    rows: int

    def to_json(self) -> str:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        d["refreshed_at"] = self.refreshed_at.isoformat()
        return json.dumps(d)

    @classmethod
    def from_json(cls, raw: str | bytes) -> "FrameMeta":
        d = json.loads(raw)
        d["as_of"] = dt.date.fromisoformat(d["as_of"])
        d["refreshed_at"] = dt.datetime.fromisoformat(d["refreshed_at"])
        return cls(**d)


@dataclass(frozen=True)
class CachedFrame:
    """A frame as refreshed, with its metadata. Treat ``frame`` as read-only."""

    frame: pd.DataFrame
    meta: FrameMeta


def frame_to_bytes(cached: CachedFrame) -> bytes:
    """Serialise to an Arrow IPC stream (LZ4-compressed) with the metadata in the schema."""
    table = pa.Table.from_pandas(cached.frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: cached.meta.to_json()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def frame_from_bytes(data: bytes) -> CachedFrame:
    """Inverse of ``frame_to_bytes``."""
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    meta = FrameMeta.from_json(table.schema.metadata[_META_KEY])
    return CachedFrame(table.to_pandas(), meta)


class FrameStore(Protocol):
    """Storage of refreshed frames and refresh outcomes, keyed by query name."""

    def put(self, name: str, cached: CachedFrame) -> None: ...

    def get(self, name: str) -> CachedFrame | None: ...

    def get_meta(self, name: str) -> FrameMeta | None: ...

    def put_outcome(self, name: str, outcome: dict) -> None: ...

    def get_outcome(self, name: str) -> dict | None: ...


class MemoryFrameStore:
    """In-process frame store (thread-safe). Frames are kept as stored; readers must not mutate."""

    def __init__(self) -> None:
        self._frames: dict[str, CachedFrame] = {}
        self._outcomes: dict[str, dict] = {}
        self._lock = threading.Lock()

    def put(self, name: str, cached: CachedFrame) -> None:
        with self._lock:
            self._frames[name] = cached

    def get(self, name: str) -> CachedFrame | None:
        with self._lock:
            return self._frames.get(name)

    def get_meta(self, name: str) -> FrameMeta | None:
        cached = self.get(name)
        return cached.meta if cached else None

    def put_outcome(self, name: str, outcome: dict) -> None:
        with self._lock:
            self._outcomes[name] = dict(outcome)

    def get_outcome(self, name: str) -> dict | None:
        with self._lock:
            o = self._outcomes.get(name)
            return dict(o) if o else None


class RedisFrameStore:
    """Frames in Redis as Arrow IPC bytes under ``pulse:<version>:frame:<query>``.

    Frames have no TTL: the last good value must survive a long outage of the warehouse.
    """

    def __init__(self, client, version: str, namespace: str = "pulse") -> None:
        self._r = client
        self._prefix = f"{namespace}:{version}"

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{name}"

    def put(self, name: str, cached: CachedFrame) -> None:
        """Write the frame and its small metadata key together (MULTI/EXEC: both or neither)."""
        pipe = self._r.pipeline(transaction=True)
        pipe.set(self._key("frame", name), frame_to_bytes(cached))
        pipe.set(self._key("meta", name), cached.meta.to_json())
        pipe.execute()

    def get(self, name: str) -> CachedFrame | None:
        data = self._r.get(self._key("frame", name))
        return frame_from_bytes(data) if data is not None else None

    def ping(self) -> bool:
        return bool(self._r.ping())

    def get_meta(self, name: str) -> FrameMeta | None:
        """The frame's metadata only (a few hundred bytes): to check freshness without the frame."""
        raw = self._r.get(self._key("meta", name))
        return FrameMeta.from_json(raw) if raw is not None else None

    def put_outcome(self, name: str, outcome: dict) -> None:
        self._r.set(self._key("outcome", name), json.dumps(outcome, default=str))

    def get_outcome(self, name: str) -> dict | None:
        raw = self._r.get(self._key("outcome", name))
        return json.loads(raw) if raw is not None else None


class ResilientStore:
    """A frame store that survives an outage of the store behind it (Redis).

    Every frame read successfully is also kept in-process (keyed by name, with its as-of
    in the metadata). While the backing store is unreachable, reads are served from that
    copy and ``unavailable_since`` is set (pages show a banner); after a failure the
    backing store is not retried for ``retry_after_s`` seconds, so a page never waits on
    a dead connection more than once. When the store answers again, everything recovers
    without a restart. Writes are not buffered: they raise, and the worker records the failure.
    """

    def __init__(self, inner: FrameStore, errors: tuple[type[BaseException], ...], retry_after_s: float = 5.0):
        self.inner = inner
        self._errors = errors
        self._retry_after = retry_after_s
        self._frames: dict[str, CachedFrame] = {}
        self._outcomes: dict[str, dict] = {}
        self._down_until = 0.0
        self.unavailable_since: dt.datetime | None = None
        self._lock = threading.Lock()

    def _call(self, fn, name, copies):
        import time

        if time.monotonic() < self._down_until:
            return copies.get(name)
        try:
            value = fn(name)
        except self._errors:
            with self._lock:
                self._down_until = time.monotonic() + self._retry_after
                self.unavailable_since = self.unavailable_since or dt.datetime.now(dt.timezone.utc)
            return copies.get(name)
        with self._lock:
            self.unavailable_since = None
            if value is not None:
                copies[name] = value
        return value

    def get(self, name: str) -> CachedFrame | None:
        """The frame; re-read from the backing store only when its metadata changed."""
        meta = self.get_meta(name)
        copy = self._frames.get(name)
        if copy is not None and (meta is None or meta == copy.meta):
            return copy
        return self._call(self.inner.get, name, self._frames)

    def get_meta(self, name: str) -> FrameMeta | None:
        copies = {k: v.meta for k, v in self._frames.items()}
        return self._call(self.inner.get_meta, name, copies)

    def get_outcome(self, name: str) -> dict | None:
        return self._call(self.inner.get_outcome, name, self._outcomes)

    def put(self, name: str, cached: CachedFrame) -> None:
        self.inner.put(name, cached)

    def put_outcome(self, name: str, outcome: dict) -> None:
        self.inner.put_outcome(name, outcome)

    @property
    def available(self) -> bool:
        """False while the backing store is unreachable (pinged at most every ``retry_after_s``)."""
        self._call(lambda _name: self.inner.ping(), "ping", {})
        return self.unavailable_since is None


def clean_old_versions(client, current: str, keep_days: int = 7, namespace: str = "pulse") -> int:
    """Delete Redis keys of catalog versions not seen for ``keep_days`` (returns keys deleted).

    Each worker records its version's last-seen time, so a rolling deploy where two
    versions run side by side never deletes the other's frames.
    """
    now = dt.datetime.now(dt.timezone.utc)
    versions_key = f"{namespace}:versions"
    client.hset(versions_key, current, now.isoformat())
    deleted = 0
    for version, seen in client.hgetall(versions_key).items():
        version = version.decode() if isinstance(version, bytes) else version
        seen_at = dt.datetime.fromisoformat(seen.decode() if isinstance(seen, bytes) else seen)
        if version == current or now - seen_at < dt.timedelta(days=keep_days):
            continue
        keys = list(client.scan_iter(match=f"{namespace}:{version}:*", count=500))
        if keys:
            deleted += client.delete(*keys)
        client.hdel(versions_key, version)
    return deleted
