"""A case's automated part run in-process, step after step, in the order the Express automation machine
(statemachines/automation.asl.json) runs them, each step recorded as the machine's tasks record theirs: for the
services' unit tests, which have no Step Functions. The system tests run the machine itself on the local stack."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from arbiter.domain.case import AutomationRun, StepRecord
from arbiter.services import assessment, automation, checks, document_ingestion


def run_automation(deps: Any, tenant_id: str, case_id: str, execution: str | None = None) -> str:
    """Plan, documents, each check, each owner, the rules, the decision: what `Decide` answered (`approved`,
    `rejected`, `review`, `owners`), or `settled` when `Plan` found the case past its automated part."""
    steps: list[StepRecord] = []

    def step(state: str, call: Callable[[], Any], item: str | None = None) -> Any:
        entered = dt.datetime.now(dt.UTC)
        result = call()
        steps.append(
            StepRecord(state=state, item=item, entered_at=entered, exited_at=dt.datetime.now(dt.UTC))
        )
        return result

    plan = step("Plan", lambda: automation.plan(deps, tenant_id, case_id, execution))
    if plan["settled"]:
        return "settled"
    if plan["documents"]:
        step("IngestDocuments", lambda: document_ingestion.ingest_case_documents(deps, tenant_id, case_id))
    for name in plan["checks"]:
        step("RunCheck", partial(checks.run_check, deps, tenant_id, case_id, name, deps.checks), item=name)
    for index in plan["owners"]:
        owner = partial(automation.automate_owner, deps, tenant_id, case_id, index)
        step("AutomateOwner", owner, item=f"owner {index}")
    assessed = (
        step("EvaluateRules", lambda: assessment.assess(deps, tenant_id, case_id, deps.assessor))
        if plan["rules"]
        else None
    )
    number = deps.cases.get(tenant_id, case_id).runs_started
    steps.append(StepRecord(state="Decide", entered_at=dt.datetime.now(dt.UTC)))
    run = AutomationRun(number=number, outcome="running", steps=steps)
    return automation.conclude(deps, tenant_id, case_id, run, assessed)
