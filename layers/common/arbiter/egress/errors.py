"""What can go wrong with an outbound request, as typed errors of Arbiter's family.

`EgressRefused` is a decision of ours (the address or scheme is not allowed); the others describe the remote
side (too slow, too big, unreachable). Callers decide which of them are worth a retry: `transient` says
whether trying again later can help.
"""

from __future__ import annotations

from arbiter.domain.errors import ArbiterError, InvalidInput, NotAllowed


class EgressError(ArbiterError):
    """Base of the outbound HTTP errors; `url` is the URL of the hop that failed."""

    kind = "upstream"
    #: Whether the same request may succeed if tried again later.
    transient = False

    def __init__(self, message: str, url: str, **context: object) -> None:
        super().__init__(message, url=url, **context)
        self.url = url


class EgressRefused(EgressError, NotAllowed):
    """The URL's scheme or address is not one we send requests to (private, loopback, metadata…)."""

    kind = "forbidden"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused to fetch {url}: {reason}", url=url, reason=reason)
        self.reason = reason


class InvalidURL(EgressError, InvalidInput):
    """The URL cannot be parsed or has no host."""

    kind = "invalid"

    def __init__(self, url: str, reason: str) -> None:
        EgressError.__init__(self, f"invalid URL {url!r}: {reason}", url=url, reason=reason)
        self.path = None


class EgressTimeout(EgressError):
    """Connecting, reading or the whole exchange took longer than its limit."""

    transient = True


class ConnectFailed(EgressError):
    """The host could not be resolved or reached, or the connection broke."""

    transient = True


class TLSVerificationFailed(ConnectFailed):
    """The server's certificate did not verify for the host name."""

    transient = False


class ResponseTooLarge(EgressError):
    """The response body is larger than the limit (declared or counted while streaming)."""


class TooManyRedirects(EgressError):
    """The redirect chain is longer than the limit."""


class UnreadableResponse(EgressError):
    """The body uses an encoding we did not offer or cannot be decoded."""
