"""`SecretResolver` over Secrets Manager and SSM Parameter Store, with powertools' cached parameters."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from arbiter.secrets import SecretUnavailable, parse_reference

# Errors worth a retry: the service was busy or unreachable, not "no such secret" or "access denied".
_TRANSIENT_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "InternalServiceError", "InternalServerError"}
)


class PowertoolsSecretResolver:
    """Reads `secretsmanager:` and `ssm:` references; values stay cached `max_age_seconds` per container."""

    def __init__(
        self, *, secrets_client: Any = None, ssm_client: Any = None, max_age_seconds: int = 300
    ) -> None:
        self._secrets = SecretsProvider(boto3_client=secrets_client)
        self._ssm = SSMProvider(boto3_client=ssm_client)
        self._max_age = max_age_seconds

    def resolve(self, reference: str) -> str:
        """The value the reference points at; `SecretUnavailable` (without the value) otherwise."""
        parsed = parse_reference(reference)
        try:
            if parsed.service == "secretsmanager":
                raw = self._secrets.get(parsed.name, max_age=self._max_age)
            else:
                raw = self._ssm.get(parsed.name, max_age=self._max_age, decrypt=True)
        except GetParameterError as e:
            code = _error_code(e)
            transient = code in _TRANSIENT_CODES or code == "network"
            raise SecretUnavailable(reference, code, transient=transient) from e
        value = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        if parsed.json_key is None:
            return value
        return _json_field(reference, value, parsed.json_key)


def _json_field(reference: str, value: str, key: str) -> str:
    # The messages below must not quote the secret: they say what is wrong with its shape only.
    try:
        document = json.loads(value)
    except ValueError:
        raise SecretUnavailable(reference, "the secret is not a JSON object") from None
    if not isinstance(document, dict) or key not in document:
        raise SecretUnavailable(reference, f"the secret has no JSON key {key!r}")
    field = document[key]
    if isinstance(field, dict | list) or field is None:
        raise SecretUnavailable(reference, f"JSON key {key!r} does not hold a string or number")
    return field if isinstance(field, str) else json.dumps(field)


def _error_code(error: BaseException) -> str:
    """The AWS error code behind powertools' wrapper (it raises without `from`, so follow the context)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ClientError):
            return str(seen.response.get("Error", {}).get("Code") or "ClientError")
        if isinstance(seen, BotoCoreError):
            return "network"
        seen = seen.__cause__ or seen.__context__
    return type(error).__name__
