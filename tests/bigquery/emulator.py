"""bqemulator for the BigQuery tests: its own virtualenv, one process on free ports, Parquet loads.

Recipe and pitfalls: ``../shared/bigquery_emulator.md``. bqemulator pins ``sqlglot<30.12``
and ``protobuf<7``, so it lives in ``.venv-bqemu`` at the project root, never in the app's
``.venv``. The venv is installed once (≈ 30–100 s) and reused; a marker file records the
package list it was built from. A file lock keeps two test sessions in one checkout from
installing at the same time.
"""
from __future__ import annotations

import fcntl
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV = PROJECT_ROOT / ".venv-bqemu"
LOCK = Path(tempfile.gettempdir()) / f"pulse-venv-bqemu-{zlib.crc32(str(VENV).encode()):08x}.lock"
MARKER = VENV / ".pulse-installed"
PROJECT = "pulse-local"
# numpy: bqemulator 1.4.0 registers DuckDB Python UDFs at start-up, which need it, but
# does not depend on it (start-up fails with "'numpy' is required for this operation").
PACKAGES = (
    "bqemulator==1.4.0",
    "duckdb==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "duckdb-extensions==1.5.5",
    "numpy==2.4.6",
    # sqlglot's compiled core, the version bqemulator pins: its translator parses each query
    # several times, 3-4x faster compiled (~0.3 s instead of ~1 s for a Pulse query)
    "sqlglotc==30.11.0",
)


class EmulatorError(RuntimeError):
    """bqemulator could not be installed or started (the message carries its output or log)."""


def _bin(name: str) -> Path:
    return VENV / "bin" / name


def _run(cmd: list[str], what: str, timeout: float) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-40:])
        raise EmulatorError(f"{what} failed (exit {r.returncode}): {' '.join(cmd)}\n{tail}")


@contextmanager
def _install_lock() -> Iterator[None]:
    with open(LOCK, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_installed() -> Path:
    """Install bqemulator into ``.venv-bqemu`` unless the marker says it is there; import
    DuckDB's spatial extension from its wheel (it lives in ``~/.duckdb``, outside the venv,
    so this runs every session: otherwise start-up tries to download it and exits).

    Returns the ``bqemulator`` executable. Raises ``EmulatorError`` with pip's output.
    """
    wanted = "\n".join(PACKAGES)
    with _install_lock():
        if not (MARKER.is_file() and MARKER.read_text() == wanted and _bin("bqemulator").is_file()):
            _run([sys.executable, "-m", "venv", "--clear", str(VENV)], "creating .venv-bqemu", 300)
            _run([str(_bin("python")), "-m", "pip", "install", "-q", *PACKAGES], "pip install bqemulator", 900)
            MARKER.write_text(wanted)
        _run([str(_bin("python")), "-c", "import duckdb_extensions as d; d.import_extension('spatial')"],
             "importing the duckdb spatial extension", 120)
    return _bin("bqemulator")


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Emulator:
    """A running bqemulator: ``endpoint`` (with scheme), ``project``, its log file and process."""

    endpoint: str
    project: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        """The emulator's log so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the process by its pid (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(data_dir: Path, log_path: Path, startup_timeout_s: float = 60.0) -> Emulator:
    """Install if needed, start bqemulator on free ports with a fresh persistent ``data_dir``
    and wait until its REST API lists datasets. Raises ``EmulatorError`` with the log when it
    exits or does not answer in ``startup_timeout_s``."""
    exe = ensure_installed()
    rest, grpc = free_port(), free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_fh = open(log_path, "w")
    cmd = [str(exe), "start", "--rest-port", str(rest), "--grpc-port", str(grpc), "--project", PROJECT,
           "--persistent", "--data-dir", str(data_dir), "--log-level", "warning", "--log-format", "console"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    process = subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT, env=env, cwd=data_dir)
    log_fh.close()
    emu = Emulator(f"http://127.0.0.1:{rest}", PROJECT, log_path, process)
    url = f"{emu.endpoint}/bigquery/v2/projects/{PROJECT}/datasets"
    deadline = time.monotonic() + startup_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"bqemulator exited with {process.returncode} during start-up:\n{emu.log()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return emu
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    emu.stop()
    raise EmulatorError(f"bqemulator did not answer {url} within {startup_timeout_s:g} s:\n{emu.log()}")


_BQ_TYPE_CHECKS = (
    (pa.types.is_boolean, "BOOL"),
    (pa.types.is_integer, "INT64"),
    (pa.types.is_floating, "FLOAT64"),
    (pa.types.is_decimal, "NUMERIC"),
    (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t), "STRING"),
    (pa.types.is_date, "DATE"),
    (pa.types.is_timestamp, "TIMESTAMP"),
)


def bq_type(arrow_type: pa.DataType) -> str:
    """BigQuery column type for an Arrow type (DuckDB's export of a Fivetran table)."""
    for check, name in _BQ_TYPE_CHECKS:
        if check(arrow_type):
            return name
    if pa.types.is_null(arrow_type):  # an all-NULL column DuckDB typed as NULL
        return "STRING"
    raise TypeError(f"no BigQuery type for Arrow {arrow_type}")


def load_tables(client, dataset: str, tables: Mapping[str, pa.Table]) -> dict[str, int]:
    """Create ``dataset`` and each table (schema from Arrow), then load it as Parquet with
    ``load_table_from_file`` (the emulator fails multipart uploads and CREATE_IF_NEEDED).

    Returns table → rows the emulator reports after the load."""
    from google.cloud import bigquery

    client.create_dataset(f"{client.project}.{dataset}", exists_ok=True)

    def load(name: str, table: pa.Table) -> int:
        if any(pa.types.is_null(f.type) for f in table.schema):
            table = table.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                                          for f in table.schema]))
        ref = f"{client.project}.{dataset}.{name}"
        schema = [bigquery.SchemaField(f.name, bq_type(f.type)) for f in table.schema]
        client.delete_table(ref, not_found_ok=True)
        client.create_table(bigquery.Table(ref, schema=schema))
        buf = io.BytesIO()
        pq.write_table(table, buf)
        buf.seek(0)
        config = bigquery.LoadJobConfig(source_format="PARQUET", write_disposition="WRITE_TRUNCATE")
        client.load_table_from_file(buf, ref, job_config=config).result()
        return client.get_table(ref).num_rows

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = pool.map(load, tables.keys(), tables.values())
        return dict(zip(tables.keys(), counts))
