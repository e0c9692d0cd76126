"""One family of domain errors; each carries what a caller needs as attributes.

The HTTP mapping lives in one place (`arbiter.api.errors`); a Step Functions task that raises one of these
reports the class name as its `errorType`, so Retry and Catch in the ASL name the same classes.
"""

from __future__ import annotations

from typing import Any


class ArbiterError(Exception):
    """Base of every error Arbiter raises on purpose."""

    #: Kind of failure, used by the HTTP mapping; subclasses narrow it.
    kind = "error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_dict(self) -> dict[str, Any]:
        """The error as the body fields a caller sees."""
        return {"error": type(self).__name__, "message": self.message, **self.context}


class InvalidInput(ArbiterError):
    """The input is malformed; `path` names the field (JSON path or dotted)."""

    kind = "invalid"

    def __init__(self, message: str, path: str | None = None, **context: Any) -> None:
        super().__init__(message, **({"path": path} if path is not None else {}), **context)
        self.path = path


class NotFound(ArbiterError):
    """The thing does not exist, or belongs to another tenant (never say which)."""

    kind = "not_found"


class Conflict(ArbiterError):
    """The request is valid but the current state refuses it (wrong state, lost a race)."""

    kind = "conflict"


class ConcurrentUpdate(Conflict):
    """Someone else saved the same record between our read and our write (optimistic locking lost a race).

    Retrying the whole use case (it reads again) is safe for steps that check what is already done."""


class UncountedTransaction(ConcurrentUpdate):
    """A monitored transaction is stored (its id claimed, its decision kept), but its customer's profile moved
    before it was counted there: count it on the profile as it is now (`services.transactions`)."""


class TransientError(ArbiterError):
    """Worth retrying as is; the workflows' Retry names this class."""


class CheckDeferred(ArbiterError):
    """A check ran out of the time an automated run gives it: the run hands it to the workflow's waiting (Standard)
    execution, which runs it without that limit (the automation machine's `RunCheck` and `RunScreening` catch this)."""


class WorkflowRefused(ArbiterError):
    """The workflow engine will never take this request as it is (no such state machine, input it refuses)."""


class NotAllowed(ArbiterError):
    """The caller is known but their role does not allow this."""

    kind = "forbidden"


class Unauthenticated(ArbiterError):
    """No credentials, or credentials that do not verify."""

    kind = "unauthenticated"


class TooManyRequests(ArbiterError):
    """The caller sent more than a limit allows; `retry_after` is the number of seconds before it may try again."""

    kind = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **context: Any) -> None:
        super().__init__(message, retry_after=retry_after, **context)
        self.retry_after = retry_after


class BadRequest(ArbiterError):
    """The request cannot be read at all (not UTF-8, not JSON, nested too deeply): 400 naming the problem."""

    kind = "bad_request"

    def __init__(self, message: str, path: str | None = None, **context: Any) -> None:
        super().__init__(message, **({"path": path} if path is not None else {}), **context)
        self.path = path


class UnsupportedMediaType(BadRequest):
    """The body's content type is not one the route takes (415)."""

    kind = "unsupported_media_type"


class TooLarge(ArbiterError):
    """What the request would store is over a size limit (413); nothing was stored."""

    kind = "too_large"


class InvalidRule(InvalidInput):
    """A rule or rule set is malformed; `path` is the JSON path of the problem (`rules[3].condition.and[1]`)."""


class RuleLimitExceeded(InvalidRule):
    """A rule went past a run-time limit (steps, time, string or array size) on the context it was tried on;
    `rule_id`, `path` and `limit` say which rule, where it is and which limit."""


class SecretUnreadable(ArbiterError):
    """A sealed secret cannot be opened: another tenant's or purpose's (the encryption context differs), altered,
    or its key is disabled or out of reach. Never carries the secret or its ciphertext."""


class MailRefused(ArbiterError):
    """The mail service did not take a message; `code` is its reason (SES's error code, e.g. `MessageRejected`).
    Never carries the message, its link or its recipient."""
