"""docs/events.md stays true: an example per event that validates, and rule patterns that match them."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
from moto.events.models import EventPattern

from arbiter.domain.event_schemas import catalog
from arbiter.domain.events import EVENT_TYPES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
SCHEMAS = {schema["properties"]["type"]["const"]: schema for schema in catalog().values()}


def examples() -> dict[str, dict]:
    found = {}
    for match in re.finditer(r"### `([a-z_.]+)` \(v\d+\)\n.*?```json\n(.*?)```", DOC, re.S):
        found[match.group(1)] = json.loads(match.group(2))
    return found


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_has_an_example_that_matches_its_schema(event_type):
    example = examples().get(event_type)
    assert example is not None, f"docs/events.md has no example of {event_type}"
    jsonschema.validate(example, SCHEMAS[event_type])


def patterns() -> list[dict]:
    blocks = re.findall(r"```json\n(\{\n  \"source\": \[\"arbiter\"\].*?)```", DOC, re.S)
    return [json.loads(block) for block in blocks]


def on_the_bus(detail: dict) -> dict:
    return {"source": "arbiter", "detail-type": detail["type"], "detail": detail}


def test_the_rule_examples_select_what_they_say():
    one_workflow, rejections = patterns()[:2]
    rejected_kyb = examples()["case.decided"]
    assert rejected_kyb["workflow_id"] == "kyb"
    assert rejected_kyb["outcome"] == "rejected"
    approved_kyc = {**rejected_kyb, "workflow_id": "kyc", "outcome": "approved"}
    created = examples()["case.created"]
    workflow = EventPattern.load(json.dumps(one_workflow))
    assert workflow.matches_event(on_the_bus(rejected_kyb))
    assert not workflow.matches_event(on_the_bus(approved_kyc))
    assert not workflow.matches_event(on_the_bus(created))
    rejected = EventPattern.load(json.dumps(rejections))
    assert rejected.matches_event(on_the_bus(rejected_kyb))
    assert not rejected.matches_event(on_the_bus(approved_kyc))
