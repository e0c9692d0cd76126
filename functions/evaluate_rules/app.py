"""Step Functions task: assess the case with its stored check results and its pinned rule set, and return the
assessment (the Express automation machine's `EvaluateRules`, or a state machine of your own). The assessment is
not stored here: `Decide` stores it with the decision it leads to, in one write. The check results the run held
(`run`: its state) are stored first, as one item, so the assessment reads them with the others."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, store_held, traced
from arbiter.services.assessment import assess

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=("evaluate_rules",))
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id)
    store_held(deps(), task)
    assessment = assess(deps(), task.tenant_id, task.case_id, deps().assessor)
    if assessment is None:  # the case is past its automated part: nothing was assessed
        return traced(task, {"recommendation": None})
    return traced(
        task,
        {
            "recommendation": assessment.recommendation,
            "score": assessment.score,
            "level": assessment.level,
            "rule_set": assessment.rule_set.model_dump() if assessment.rule_set else None,
            "hits": [hit.get("rule_id") for hit in assessment.hits],
            "assessment": assessment.model_dump(mode="json"),  # for `Decide`, which stores it
        },
    )
