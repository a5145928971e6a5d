"""Coordination between web processes and refresh workers.

- **Claims**: a scheduled refresh of a metric runs once even when two workers fire it
  together: the first to ``SET NX`` the metric's claim key runs it, the other skips.
  A Redis lock additionally keeps two refreshes of one metric from overlapping.
- **Heartbeat**: the worker records when it was last alive (for /status and /healthz).
- **Refresh requests**: the web process asks for "refresh now" by pushing the metric id
  onto a Redis list; the worker pops and runs it. The web process never runs a query.

``MemoryCoordinator`` is the embedded default (one process); ``RedisCoordinator`` is
used when ``PULSE_REDIS_URL`` is set.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import threading
from typing import Iterator, Protocol


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Coordinator(Protocol):
    def claim(self, metric_id: str, ttl_s: int) -> bool: ...

    def lock(self, metric_id: str, timeout_s: int) -> contextlib.AbstractContextManager[bool]: ...

    def beat(self) -> None: ...

    def last_beat(self) -> dict | None: ...

    def request_refresh(self, metric_id: str) -> None: ...

    def pop_requests(self) -> list[str]: ...


class MemoryCoordinator:
    """In-process coordination: one process is both web and worker."""

    def __init__(self) -> None:
        self._claims: dict[str, dt.datetime] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._beat: dict | None = None
        self._requests: list[str] = []
        self._mutex = threading.Lock()

    def claim(self, metric_id: str, ttl_s: int) -> bool:
        with self._mutex:
            until = self._claims.get(metric_id)
            if until and until > _now():
                return False
            self._claims[metric_id] = _now() + dt.timedelta(seconds=ttl_s)
            return True

    @contextlib.contextmanager
    def lock(self, metric_id: str, timeout_s: int) -> Iterator[bool]:
        with self._mutex:
            lk = self._locks.setdefault(metric_id, threading.Lock())
        got = lk.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lk.release()

    def beat(self) -> None:
        self._beat = {"at": _now().isoformat(), "host": socket.gethostname(), "pid": os.getpid()}

    def last_beat(self) -> dict | None:
        return dict(self._beat) if self._beat else None

    def request_refresh(self, metric_id: str) -> None:
        with self._mutex:
            self._requests.append(metric_id)

    def pop_requests(self) -> list[str]:
        with self._mutex:
            out, self._requests = self._requests, []
        return list(dict.fromkeys(out))


class RedisCoordinator:
    """Coordination through Redis (keys under ``<namespace>:<version>:``)."""

    def __init__(self, client, version: str, namespace: str = "pulse") -> None:
        self._r = client
        self._prefix = f"{namespace}:{version}"
        self._ns = namespace

    def claim(self, metric_id: str, ttl_s: int) -> bool:
        return bool(self._r.set(f"{self._prefix}:claim:{metric_id}", _now().isoformat(), nx=True, ex=max(1, ttl_s)))

    @contextlib.contextmanager
    def lock(self, metric_id: str, timeout_s: int) -> Iterator[bool]:
        lk = self._r.lock(f"{self._prefix}:lock:{metric_id}", timeout=timeout_s, blocking=False)
        got = lk.acquire(blocking=False)
        try:
            yield bool(got)
        finally:
            if got:
                with contextlib.suppress(Exception):
                    lk.release()

    def beat(self) -> None:
        beat = {"at": _now().isoformat(), "host": socket.gethostname(), "pid": os.getpid()}
        self._r.set(f"{self._ns}:worker:heartbeat", json.dumps(beat), ex=24 * 3600)

    def last_beat(self) -> dict | None:
        raw = self._r.get(f"{self._ns}:worker:heartbeat")
        return json.loads(raw) if raw else None

    def request_refresh(self, metric_id: str) -> None:
        self._r.rpush(f"{self._prefix}:refresh_requests", metric_id)

    def pop_requests(self) -> list[str]:
        key = f"{self._prefix}:refresh_requests"
        pipe = self._r.pipeline()
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        raw, _ = pipe.execute()
        return list(dict.fromkeys(x.decode() if isinstance(x, bytes) else x for x in raw))
