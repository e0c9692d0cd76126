"""Step Functions task: assess the case with its pinned rule set and return the recommendation."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races
from arbiter.services.assessment import assess_case
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=1)
def deps():
    """Composition root, once per cold start."""
    settings = Settings.from_environ()
    return bootstrap.case_deps(settings), bootstrap.assessor(settings)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = TaskInput.parse(event, known=("evaluate_rules",))
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id)
    case_deps, assessor = deps()
    # A document page may be saved on the case while it is assessed: assess again on a lost race.
    assessment = rerun_lost_races(lambda: assess_case(case_deps, task.tenant_id, task.case_id, assessor))
    return {
        "recommendation": assessment.recommendation,
        "score": assessment.score,
        "level": assessment.level,
        "rule_set": assessment.rule_set.model_dump() if assessment.rule_set else None,
        "hits": [hit.get("rule_id") for hit in assessment.hits],
    }
