"""`ScreeningService` on Lambda: the screening checks run by ScreeningFunction, invoked synchronously."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arbiter.adapters.lambda_invoker import LambdaFunctionInvoker
from arbiter.plugins.builtin.custom_lambda import FunctionInvocationFailed
from arbiter.plugins.screening_delegation import ScreeningUnavailable

__all__ = ["SCREEN_TASK", "LambdaScreeningService"]

#: The task ScreeningFunction answers with the results of the checks it is given (functions/screening/app.py).
SCREEN_TASK = "screen"


class LambdaScreeningService:
    """Sends a case's screening checks to the function holding the watchlists, and returns their results."""

    def __init__(self, invoker: LambdaFunctionInvoker, function: str) -> None:
        self._invoker = invoker
        self._function = function

    def screen(
        self,
        context: Mapping[str, Any],
        plugins: Sequence[Mapping[str, Any]],
        *,
        time_budget_seconds: float | None,
    ) -> dict[str, dict[str, Any]]:
        """The checks' results by name, as ScreeningFunction's runner gave them; ScreeningUnavailable otherwise."""
        payload = {
            "task": SCREEN_TASK,
            "context": dict(context),
            "plugins": [dict(p) for p in plugins],
            "budget_seconds": time_budget_seconds,
        }
        try:
            reply = self._invoker.invoke(self._function, payload, timeout_seconds=time_budget_seconds or 900)
        except FunctionInvocationFailed as e:
            raise ScreeningUnavailable(str(e), transient=e.transient) from e
        results = reply.get("results") if isinstance(reply, dict) else None
        if not isinstance(results, dict) or not all(isinstance(r, dict) for r in results.values()):
            raise ScreeningUnavailable("the screening function's reply has no results", transient=False)
        return results
