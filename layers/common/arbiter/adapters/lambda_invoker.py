"""`FunctionInvoker` with boto3's Lambda client (synchronous RequestResponse invocations)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from arbiter.plugins.builtin.custom_lambda import FunctionInvocationFailed

# Lambda's answers that mean "try again later" rather than "this will never work".
_TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ServiceException",
        "ResourceNotReadyException",
        "ResourceConflictException",
        "EC2ThrottledException",
        "ENILimitReachedException",
        "SubnetIPAddressLimitReachedException",
    }
)


class LambdaFunctionInvoker:
    """Invokes functions with a boto3 Lambda client (give it a read timeout above your checks' limits)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def invoke(self, function: str, payload: dict[str, Any], *, timeout_seconds: float) -> Any:
        """The function's decoded JSON reply; `FunctionInvocationFailed` otherwise."""
        try:
            response = self._client.invoke(
                FunctionName=function,
                InvocationType="RequestResponse",
                Payload=json.dumps(payload, default=str).encode(),
            )
            body = response["Payload"].read()
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code") or "ClientError")
            raise FunctionInvocationFailed(function, code, transient=code in _TRANSIENT_CODES) from e
        except BotoCoreError as e:
            raise FunctionInvocationFailed(function, f"no answer from Lambda: {e}", transient=True) from e
        if response.get("FunctionError"):
            # Unhandled errors include the function timing out or running out of memory: worth a retry.
            raise FunctionInvocationFailed(
                function, f"the function failed: {_error_text(body)}", transient=True
            )
        try:
            return json.loads(body)
        except ValueError:
            raise FunctionInvocationFailed(function, "the reply is not JSON", transient=False) from None


def _error_text(body: bytes) -> str:
    try:
        error = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", errors="replace")
    if isinstance(error, dict):
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"[:500]
    return str(error)[:200]
