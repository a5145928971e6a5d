"""Shared pytest fixtures for Pulse."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

SHARED = PROJECT_ROOT.parent / "shared"
SEEDS = SHARED / "data" / "fivetran"


@pytest.fixture
def seeds_dir() -> Path:
    """The Fivetran integration-test seeds beside the checkout (``../shared/data/fivetran``)."""
    if not SEEDS.is_dir():
        pytest.fail(f"Fivetran seeds not found at {SEEDS}: the checkout must sit beside shared/")
    return SEEDS
