"""Coordination between web processes and refresh workers.

- **Claims**: a scheduled refresh of a metric runs once even when two workers fire it
  together: the first to ``SET NX`` the metric's claim key runs it, the other skips.
  A Redis lock additionally keeps two refreshes of one metric from overlapping.
- **Heartbeat**: the worker records when it was last alive (for /status and /healthz).
- **Refresh requests**: the web process asks for "refresh now" by pushing the metric id
  onto a Redis list; the worker pops and runs it. The web process never runs a query.
- **Start-up round**: how far the first refresh round of a new worker has got (``RefreshRound``),
  counted in metrics, so cards say "Refreshing… (12 of 26 metrics done)" and the API answers 503
  with a retry time instead of empty cards. The step that reaches ``total`` ends the round.

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
from dataclasses import dataclass
from typing import Iterator, Protocol


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class RefreshRound:
    """The start-up refresh round: ``total`` metrics to refresh, ``done`` so far (ok or failed),
    UTC ``started_at`` and ``finished_at`` (``None`` while running)."""

    started_at: dt.datetime
    total: int
    done: int
    finished_at: dt.datetime | None = None

    ABANDONED_S = 30 * 60  # a round not finished after this long died with its worker

    @property
    def running(self) -> bool:
        """True while the round runs (not finished, started less than ``ABANDONED_S`` ago)."""
        return self.finished_at is None and (_now() - self.started_at).total_seconds() < self.ABANDONED_S

    def retry_after_s(self) -> int:
        """Seconds until the round should be done, from its pace so far (1–60; 5 before the
        first metric has finished)."""
        if self.done <= 0:
            return 5
        elapsed = (_now() - self.started_at).total_seconds()
        remaining = elapsed / self.done * max(0, self.total - self.done)
        return int(min(60, max(1, round(remaining))))

    def to_dict(self) -> dict:
        return {"started_at": self.started_at.isoformat(), "total": self.total, "done": self.done,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}

    @classmethod
    def from_dict(cls, d: dict) -> "RefreshRound":
        return cls(dt.datetime.fromisoformat(d["started_at"]), int(d["total"]), int(d["done"]),
                   dt.datetime.fromisoformat(d["finished_at"]) if d.get("finished_at") else None)


class Coordinator(Protocol):
    def claim(self, metric_id: str, ttl_s: int) -> bool: ...

    def lock(self, metric_id: str, timeout_s: int) -> contextlib.AbstractContextManager[bool]: ...

    def beat(self) -> None: ...

    def last_beat(self) -> dict | None: ...

    def request_refresh(self, metric_id: str) -> None: ...

    def pop_requests(self) -> list[str]: ...

    def start_round(self, total: int, ttl_s: int) -> bool: ...

    def step_round(self, metric_id: str) -> None: ...

    def finish_round(self) -> None: ...

    def refresh_round(self) -> RefreshRound | None: ...


class MemoryCoordinator:
    """In-process coordination: one process is both web and worker."""

    def __init__(self) -> None:
        self._claims: dict[str, dt.datetime] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._beat: dict | None = None
        self._requests: list[str] = []
        self._round: RefreshRound | None = None
        self._round_done: set[str] = set()
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

    def start_round(self, total: int, ttl_s: int) -> bool:
        """Record the start of a refresh round (``total`` metrics). False, recording nothing,
        while another round runs."""
        with self._mutex:
            if self._round is not None and self._round.running:
                return False
            self._round, self._round_done = RefreshRound(_now(), total, 0), set()
            return True

    def step_round(self, metric_id: str) -> None:
        """Count ``metric_id`` as refreshed in the running round (once, however often it is said);
        the metric that makes ``total`` ends the round."""
        with self._mutex:
            if self._round is not None and self._round.finished_at is None:
                r = self._round
                self._round_done.add(metric_id)
                done = min(r.total, len(self._round_done))
                self._round = RefreshRound(r.started_at, r.total, done, _now() if done >= r.total else None)

    def finish_round(self) -> None:
        with self._mutex:
            if self._round is not None:
                r = self._round
                self._round = RefreshRound(r.started_at, r.total, r.total, _now())

    def refresh_round(self) -> RefreshRound | None:
        return self._round


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

    # The round is a hash (started_at, total, finished_at) and a set of the metrics refreshed in it
    # (SADD: a metric said twice, by two workers, counts once). Both expire (ttl_s), so a round whose
    # worker crashed does not linger.
    def start_round(self, total: int, ttl_s: int) -> bool:
        """Record the start of a refresh round across workers (False while another one runs)."""
        key = f"{self._prefix}:round"
        current = self.refresh_round()
        if current is not None and current.running:
            return False
        pipe = self._r.pipeline()
        pipe.delete(key, f"{key}:done")
        pipe.hset(key, mapping={"started_at": _now().isoformat(), "total": total})
        pipe.expire(key, max(60, ttl_s))
        pipe.execute()
        return True

    def step_round(self, metric_id: str) -> None:
        """Count ``metric_id`` as refreshed in the running round; the metric that makes ``total``
        ends it."""
        key = f"{self._prefix}:round"
        if self._r.exists(key) and not self._r.hexists(key, "finished_at"):
            pipe = self._r.pipeline()
            pipe.sadd(f"{key}:done", metric_id)
            pipe.expire(f"{key}:done", max(60, self._r.ttl(key)))
            pipe.scard(f"{key}:done")
            done = pipe.execute()[-1]
            if done >= int(self._r.hget(key, "total") or 0):
                self._r.hsetnx(key, "finished_at", _now().isoformat())

    def finish_round(self) -> None:
        key = f"{self._prefix}:round"
        if self._r.exists(key):
            self._r.hset(key, "finished_at", _now().isoformat())

    def refresh_round(self) -> RefreshRound | None:
        raw = self._r.hgetall(f"{self._prefix}:round")
        if not raw or b"started_at" not in raw and "started_at" not in raw:
            return None
        d = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
             for k, v in raw.items()}
        total = int(d["total"])
        done = total if d.get("finished_at") else min(total, int(self._r.scard(f"{self._prefix}:round:done")))
        return RefreshRound.from_dict({**d, "done": done})
