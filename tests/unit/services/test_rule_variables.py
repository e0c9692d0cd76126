"""The variables listing of the rule editor, held against the context the engine builds for a real case."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import InvalidInput, NotAllowed, NotFound
from arbiter.rules.variables import leaves, schema_leaves, value_type
from arbiter.services import rule_variables
from arbiter.services.assessment import rule_context
from arbiter.services.cases import start_case
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.support.automation import run_automation
from tests.unit.fakes import automation_deps, case_deps

ACME = tenant("acme")
FREE_FORM = ("metadata.", "context.")  # what the integrator sends as it likes: listed from real cases only


def admin():
    return reviewer("admin")


def listing(deps, **kwargs):
    found = rule_variables.workflow_variables(deps, admin(), **kwargs)
    return found, {v["path"]: v for v in found["variables"]}


def a_business_case(deps, entity_id="biz-1"):
    entity = business(
        entity_id,
        ubos=[ubo("Ada", "Lovelace", 60)],
        date_of_incorporation="2019-04-01",
        address={"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"},
        identifiers=[{"type": "de_hrb", "value": "HRB 123456", "country": "DE"}],
    )
    case, _ = start_case(
        deps, integrator(), ACME, workflow="kyb", entity=entity, metadata={"channel": "web", "score": 3}
    )
    run_automation(automation_deps(deps), "acme", case.id)
    detail = deps.cases.detail("acme", case.id)
    return case, rule_context(detail.case, detail.checks, detail.children)


def test_every_path_of_a_real_cases_context_is_listed_with_its_type_without_any_sample():
    deps = case_deps()
    _, context = a_business_case(deps)
    _, variables = listing(deps, workflow_id="kyb", samples=0)
    compared = 0
    for path, value in leaves(context):
        if value is None or path.startswith(FREE_FORM) or ".data." in path or path.endswith(".data"):
            continue
        assert path in variables, f"{path} is in the rule context but not listed"
        assert variables[path]["type"] == value_type(value), path
        compared += 1
    assert compared > 15
    assert variables["entity.business.date_of_incorporation"]["type"] == "date"
    assert variables["entity.business.ubos"]["type"] == "list"
    assert any(path.startswith("entity.business.ubos[].") for path, _ in leaves(context))  # compared above
    # The fields of a list's items, for `some` / `all` / `none` over it.
    for path, kind in [
        ("entity.business.ubos[].nationality", "string"),
        ("entity.business.ubos[].ownership_percent", "number"),
        ("entity.business.ubos[].identifiers[].type", "string"),
        ("children[].decision", "string"),
        ("documents[].type", "string"),
        ("checks.sanctions.flags[].code", "string"),
    ]:
        assert variables[path]["type"] == kind, path
    assert "entity.individual.first_name" not in variables  # kyb takes businesses only
    assert all(v["examples"] == [] for v in variables.values())


def test_every_part_of_the_context_is_described():
    deps = case_deps()
    _, context = a_business_case(deps)
    assert set(context) == set(rule_variables.TOP_LEVEL)
    _, variables = listing(deps, workflow_id="kyb", samples=0)
    assert variables["checks.sanctions.status"]["description"].startswith("The sanctions check")
    assert variables["entity.id"]["description"] == "The integrator's id for the entity"


def test_recent_cases_give_the_free_form_paths_and_example_values():
    deps = case_deps()
    a_business_case(deps, "biz-1")
    a_business_case(deps, "biz-2")
    found, variables = listing(deps, workflow_id="kyb")
    assert found["cases_sampled"] == 2
    assert variables["metadata.channel"] == {
        "path": "metadata.channel",
        "type": "string",
        "description": "",
        "examples": ["web"],
    }
    assert variables["metadata.score"]["type"] == "number"
    assert sorted(variables["entity.id"]["examples"]) == ["biz-1", "biz-2"]
    assert variables["entity.business.country_of_incorporation"]["examples"] == ["DE"]


def test_a_rule_sets_workflow_is_found_and_bad_requests_are_named():
    deps = case_deps()
    found, variables = listing(deps, rule_set_id="kyc-default", samples=0)
    assert found["workflow"] == "kyc"
    assert "entity.individual.date_of_birth" in variables
    with pytest.raises(NotFound):
        listing(deps, rule_set_id="nobody-uses-it")
    with pytest.raises(InvalidInput) as both:
        listing(deps, workflow_id="kyc", rule_set_id="kyc-default")
    assert both.value.path == "workflow"
    with pytest.raises(InvalidInput):
        listing(deps, workflow_id="kyc", samples=21)
    with pytest.raises(NotAllowed):
        rule_variables.workflow_variables(deps, reviewer("reviewer"), workflow_id="kyc")


def test_a_context_schema_types_the_application_context():
    schema = {
        "type": "object",
        "properties": {
            "monthly_volume": {"type": "number", "description": "Expected monthly volume"},
            "launch": {"type": ["string", "null"], "format": "date"},
            "channels": {"type": "array", "items": {"type": "string"}},
            "owner": {"type": "object", "properties": {"pep": {"type": "boolean"}}},
        },
    }
    assert sorted(schema_leaves(schema, "context")) == [
        ("context.channels", "list", ""),
        ("context.launch", "date", ""),
        ("context.monthly_volume", "number", "Expected monthly volume"),
        ("context.owner.pep", "boolean", ""),
    ]


def test_an_individuals_context_is_listed_too():
    deps = case_deps()
    case, _ = start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1", is_pep=False))
    run_automation(automation_deps(deps), "acme", case.id)
    detail = deps.cases.detail("acme", case.id)
    _, variables = listing(deps, workflow_id="kyc", samples=0)
    for path, value in leaves(rule_context(detail.case, detail.checks, detail.children)):
        if value is None or path.startswith(FREE_FORM) or ".data." in path or path.endswith(".data"):
            continue
        assert variables[path]["type"] == value_type(value), path
    assert variables["entity.individual.is_pep"]["type"] == "boolean"
