"""Browser-test settings: Debian's Chromium for dash[testing]."""
from __future__ import annotations

import os
import shutil

os.environ.setdefault("DASH_TEST_CHROMEPATH", shutil.which("chromium") or "/usr/bin/chromium")
