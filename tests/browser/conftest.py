"""Browser-test settings: Debian's Chromium for dash[testing]."""
from __future__ import annotations

import os
import shutil

os.environ.setdefault("DASH_TEST_CHROMEPATH", shutil.which("chromium") or "/usr/bin/chromium")


def _spread_dash_ports() -> None:
    """dash[testing] numbers its servers from 58050 in every process: give each pytest-xdist
    worker (``PYTEST_XDIST_WORKER`` = gw0, gw1, …) its own thousand ports."""
    from dash.testing.application_runners import BaseDashRunner

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    BaseDashRunner._next_port = 58050 + 1000 * int(worker.removeprefix("gw") or 0)


_spread_dash_ports()
