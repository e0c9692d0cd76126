"""The checked-in event schemas are what the models generate: a model change without its schema fails here."""

import json
from pathlib import Path

import pytest

from arbiter.domain.event_schemas import catalog

FOLDER = Path(__file__).resolve().parents[2] / "schemas" / "events"


@pytest.mark.parametrize("name", sorted(catalog()))
def test_checked_in_schema_matches_the_model(name):
    path = FOLDER / name
    assert path.exists(), f"{name} is missing: run `make schemas`"
    assert json.loads(path.read_text(encoding="utf-8")) == catalog()[name], (
        f"{name} is stale: run `make schemas`"
    )


def test_no_schema_without_a_model():
    assert {p.name for p in FOLDER.glob("*.json")} == set(catalog())
