"""Fixtures: a generated watchlist, loaded once per session."""

from __future__ import annotations

import pytest

from arbiter.screening import Watchlist, load_watchlist
from tests.unit.screening.generated_lists import targets_rows, write_targets_csv


@pytest.fixture(scope="session")
def targets_csv() -> bytes:
    return write_targets_csv(targets_rows(seed=7))


@pytest.fixture(scope="session")
def watchlist(targets_csv: bytes) -> Watchlist:
    return load_watchlist(targets_csv)
