"""Shared helpers of the benchmark scripts: machine line, tables, the demo files, redis-server.

Not a test module: nothing here asserts or fails on a threshold.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "var" / "bench"
DEMO_AS_OF = dt.date(2026, 11, 21)  # the README's demo date
DEMO_SEED = 7
DATASETS = {"hubspot": "hubspot", "quickbooks": "quickbooks", "zendesk": "zendesk"}


# ------------------------------------------------------------------------------------------
# Machine and printing
# ------------------------------------------------------------------------------------------

def machine_line() -> str:
    """``nproc``, CPU model, RAM, Python, duckdb and pandas versions on one line."""
    import duckdb
    import pandas as pd

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
                break
    except OSError:
        pass
    return (f"machine: nproc={os.cpu_count()} · CPU {cpu} · RAM {ram} · Python {platform.python_version()} · "
            f"duckdb {duckdb.__version__} · pandas {pd.__version__} · {platform.system()} {platform.machine()}")


def quiet_logs() -> None:
    """The app logs each failed refresh as a warning; the scripts print their own summary."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("data_access").setLevel(logging.ERROR)


def banner(title: str) -> None:
    print()
    print("=" * 100)
    print(title)
    print(machine_line())
    print("=" * 100, flush=True)


def table(headers: Sequence[str], rows: Iterable[Sequence], title: str | None = None) -> None:
    """Print a plain-text table (numbers right-aligned)."""
    rows = [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def fmt(cells, header=False):
        out = []
        for i, c in enumerate(cells):
            numeric = not header and c and (c[0].isdigit() or c[0] in "-+.≈×") and i > 0
            out.append(c.rjust(widths[i]) if numeric else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    if title:
        print(f"\n{title}")
    print(fmt(headers, header=True))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    sys.stdout.flush()


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return "—" if seconds != seconds else f"{seconds * 1000:.1f}"


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


# ------------------------------------------------------------------------------------------
# The demo company in its own DuckDB files (never var/pulse.duckdb)
# ------------------------------------------------------------------------------------------

def generator_fingerprint() -> str:
    """Hash of the demo generator's source (data_access/demo.py, its parts demo_*.py — support
    desk, rep activity, renewals — and schema.py)."""
    import hashlib

    h = hashlib.sha256()
    parts = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "data_access").glob("demo_*.py"))
    for rel in ("data_access/demo.py", *parts, "data_access/schema.py"):
        h.update((ROOT / rel).read_bytes())
    return h.hexdigest()[:12]


def demo_path(scale: float, seed: int = DEMO_SEED, as_of: dt.date = DEMO_AS_OF) -> Path:
    return BENCH_DIR / f"demo_s{scale:g}_seed{seed}_{as_of.isoformat()}.duckdb"


def ensure_demo(scale: float, seed: int = DEMO_SEED, as_of: dt.date = DEMO_AS_OF,
                rebuild: bool = False, quiet: bool = False) -> tuple[Path, dict]:
    """The demo at (scale, seed, as_of) in ``var/bench/``: reused when its sidecar JSON matches,
    else built (into a temporary file, renamed when complete). Returns (path, info)."""
    from data_access.demo import write_demo
    from data_access.warehouse import DuckDBWarehouse

    path = demo_path(scale, seed, as_of)
    info_path = path.with_suffix(".json")
    wanted = {"scale": scale, "seed": seed, "as_of": as_of.isoformat()}
    if not rebuild and path.is_file() and info_path.is_file():
        try:
            info = json.loads(info_path.read_text())
            if all(info.get(k) == v for k, v in wanted.items()):
                if info.get("generator") == generator_fingerprint():
                    info["reused"] = True
                    return path, info
                if not quiet:
                    print(f"{path.name} was built by another version of the demo generator (data_access/demo*.py, schema.py): rebuilding")
        except ValueError:
            pass
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, tmp.with_name(tmp.name + ".wal"), path, info_path):
        p.unlink(missing_ok=True)
    if not quiet:
        print(f"building the demo at scale {scale:g} (seed {seed}, as of {as_of}) → {path} …", flush=True)
    started = time.perf_counter()
    wh = DuckDBWarehouse(tmp, DATASETS)
    try:
        rows = write_demo(wh, scale, as_of, seed)
        wh.connect().execute("checkpoint")
    finally:
        wh.close()
    tmp.rename(path)
    info = {**wanted, "generator": generator_fingerprint(), "rows": rows, "build_s": round(time.perf_counter() - started, 1),
            "bytes": path.stat().st_size, "built_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    info_path.write_text(json.dumps(info, indent=1))
    info["reused"] = False
    return path, info


def demo_settings(path: Path, **extra):
    """Settings of a runtime on a bench demo file (no refresh at start, fixed as-of)."""
    from data_access.config import Settings

    return Settings(duckdb_path=path, as_of_date=DEMO_AS_OF, refresh_on_start=False, **extra)


# ------------------------------------------------------------------------------------------
# Processes
# ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM the process (by its pid), SIGKILL it if it has not exited after ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port (no persistence); yields its URL and
    stops it by pid on exit."""
    import redis

    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="pulse-bench-redis-")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "",
                             "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {proc.returncode}")
                time.sleep(0.05)
        else:
            raise RuntimeError(f"redis-server did not answer on port {port}")
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)
