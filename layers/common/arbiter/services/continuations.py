"""Carrying out workflow continuations: starting a case's execution, resuming a step waiting on a task token.

A change that must move the workflow says so in its `continuations` (arbiter.domain.case.Continuation); the case
store writes them in the change's transaction, on its audit item when they fit there (a packed JSON list,
`continuations`), else as items of their own (`CONT#…`), beside its audit entries and events (the outbox), and the
table's stream hands each one to `continue_from_outbox` (ContinueWorkflowsFunction), which Lambda retries until Step
Functions takes it. So a decision that is stored always reaches its workflow, and a workflow never moves on a
change that was not stored. Carrying one out twice has the effect of once: a Standard execution is named after its
case and round (the engine answers a second start with the first execution); an Express run started twice finds
the case settled by the first at each step (`arbiter.services.automation`); and a token nobody waits on any more
is done.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

from arbiter.domain.case import CaseState, Continuation
from arbiter.domain.errors import Conflict, WorkflowRefused
from arbiter.services.cases import CaseDeps

__all__ = ["CONTINUATION_SK_PREFIX", "carry_out", "continue_from_outbox", "outbox_continuations"]

log = logging.getLogger(__name__)

#: Sort key prefix of continuation items (the stream's filter for ContinueWorkflowsFunction).
CONTINUATION_SK_PREFIX = "CONT#"
#: Sort key prefix of audit items, which carry their change's continuations when they fit (`continuations`).
AUDIT_SK_PREFIX = "AUDIT#"


def carry_out(deps: CaseDeps, continuation: Continuation) -> None:
    """Start or resume, as the continuation says. A start the engine refuses for good (no such state machine,
    input it will never take) fails the case rather than leave it processing; anything else raises and is retried.
    """
    if continuation.kind == "resume":
        try:
            if continuation.error:  # the step fails, and the state machine's Catch routes on the error
                deps.engine.fail_task(continuation.token or "", continuation.error)
            else:
                deps.engine.complete_task(continuation.token or "", continuation.output)
        except Conflict:
            # The step no longer waits: it was resumed already (a redelivery) or timed out, in which case its
            # execution records the outcome itself.
            log.info("case %s: its workflow no longer waits for this step", continuation.case_id)
        return
    try:
        deps.engine.start(
            continuation.state_machine, continuation.execution_name, continuation.execution_input
        )
    except WorkflowRefused as exc:
        _fail_unstarted(deps, continuation, exc)


def _fail_unstarted(deps: CaseDeps, continuation: Continuation, exc: WorkflowRefused) -> None:
    case = deps.cases.get(continuation.tenant_id, continuation.case_id)
    if case.state != CaseState.PROCESSING:
        return
    log.warning("case %s: its workflow could not start: %s", case.id, exc.message)
    deps.cases.save(case, case.fail("WorkflowStartFailed", exc.message), expected_version=case.version)


def outbox_continuations(
    records: list[dict[str, Any]], inflate: Callable[[bytes], bytes]
) -> list[tuple[str, Continuation]]:
    """(stream sequence number, continuation) for every newly inserted continuation among the records: a
    continuation item's (`CONT#…`, its JSON in `data`) or those an audit item carries (`AUDIT#…`, a JSON list
    compressed in `continuations`, which `inflate` reads; the stream gives binary attributes in base64)."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record.get("dynamodb", {}).get("NewImage", {})
        sort_key = image.get("sk", {}).get("S", "")
        sequence = record["dynamodb"].get("SequenceNumber", "")
        if sort_key.startswith(CONTINUATION_SK_PREFIX) and "data" in image:
            found.append((sequence, Continuation.model_validate(json.loads(image["data"]["S"]))))
        elif sort_key.startswith(AUDIT_SK_PREFIX) and "continuations" in image:
            carried = json.loads(inflate(base64.b64decode(image["continuations"]["B"])))
            found += [(sequence, Continuation.model_validate(c)) for c in carried]
    return found


def continue_from_outbox(
    deps: CaseDeps, records: list[dict[str, Any]], *, inflate: Callable[[bytes], bytes]
) -> list[str]:
    """Carry out the continuations among the stream records; the sequence numbers to retry (a partial batch
    failure: the ones carried out are not redone, those after a failure keep their order; a record carrying
    several is retried whole, which carrying out twice allows)."""
    failed: list[str] = []
    for sequence, continuation in outbox_continuations(records, inflate):
        if failed:  # keep the order within the batch: nothing after the first failure runs ahead of it
            failed.append(sequence)
            continue
        try:
            carry_out(deps, continuation)
        except Exception:
            log.exception(
                "case %s: %s continuation not carried out yet", continuation.case_id, continuation.kind
            )
            failed.append(sequence)
    return failed
