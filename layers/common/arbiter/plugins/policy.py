"""How long one attempt of a check may take and how failed attempts are retried."""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """Attempts with exponential backoff: the n-th retry waits up to `backoff_seconds * backoff_rate**(n-1)`,
    capped at `max_backoff_seconds`; with `jitter` the wait is drawn uniformly below that ("full jitter", as
    Step Functions' `JitterStrategy: FULL`), so checks retrying at once do not hit a vendor together."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=3, ge=1, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0, le=60)
    backoff_rate: float = Field(default=2.0, ge=1, le=10)
    max_backoff_seconds: float = Field(default=20.0, ge=0, le=300)
    jitter: bool = True

    def delay(self, retry_number: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
        ceiling = min(
            self.max_backoff_seconds, self.backoff_seconds * self.backoff_rate ** (retry_number - 1)
        )
        return rng.uniform(0, ceiling) if self.jitter else ceiling


class RunPolicy(BaseModel):
    """The time limit of one attempt and the retry policy of a check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_seconds: float = Field(default=30.0, gt=0, le=900)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
