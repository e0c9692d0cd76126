"""The run-time budget of an evaluation: steps counted by the compiled code, and a wall-clock guard.

A compiled rule gets its budget as a list `b = [steps, meter]` (`[FIRST_GRANT, UNSTARTED]` when fresh, or
`Allowance.budget()` for one rule of a rule set): the code subtracts what it does from `b[0]` (a loop over more
than FREE_LOOP elements the length of its array, merge the elements it returns, cat and substr their length
in thousands of characters, `in` the elements it looks through) and calls `b[1].settle(b)` only when `b[0]`
goes below zero.
Counting is then one subtraction and one test per loop or operation; the meter behind it, on the rare call,
counts what was spent, raises `LimitExceeded` past a limit, reads the clock, and grants the next steps.

Steps are deterministic: the same rule on the same context always takes the same number. The clock is a
guard for what steps do not measure (one operation on a very large value); it is read at each settle, and
settles come more often when steps are slow, so that it is read about every CLOCK_INTERVAL seconds.
"""

from __future__ import annotations

import time
from itertools import chain
from typing import Any

from arbiter.rules.limits import (
    MAX_ARRAY_LENGTH,
    MAX_EVALUATION_SECONDS,
    MAX_RULE_SET_STEPS,
    MAX_RULE_STEPS,
)
from arbiter.rules.runtime import LimitExceeded, array_too_long

__all__ = [
    "BLOCK",
    "FIRST_GRANT",
    "FREE_LOOP",
    "UNSTARTED",
    "Allowance",
    "Meter",
    "blocks",
    "deadline",
    "loop",
]

#: Steps granted before the first settle: most evaluations never reach it, so they never read the clock.
FIRST_GRANT = 256
#: Loops over at most this many elements are not counted. They cost little more than the operation that
#: runs them, and that is counted if it is itself in a loop; so a rule still does at most
#: (FREE_LOOP + 1) times its counted steps in loop iterations (loops nest at most 2 deep).
FREE_LOOP = 8
#: A loop over more elements than the steps granted is charged block by block (the clock is read during it).
BLOCK = 64
CLOCK_INTERVAL = 0.01
#: Steps between settles: at most _MAX_GRANT, below MAX_ARRAY_LENGTH, so a loop over more than either always
#: reaches `loop` (which refuses a map over too many elements, and charges long arrays block by block).
_MIN_GRANT, _MAX_GRANT = 16, 4_096


class Allowance:
    """What every rule of one evaluation shares: steps left for the rule set, and the deadline."""

    __slots__ = ("deadline", "left", "limit")

    def __init__(self, steps: int = MAX_RULE_SET_STEPS, deadline: float | None = None) -> None:
        self.limit = steps
        self.left = steps
        self.deadline = time.monotonic() + MAX_EVALUATION_SECONDS if deadline is None else deadline

    def budget(self, steps: int = MAX_RULE_STEPS) -> list[Any]:
        """A budget for one rule of the evaluation (its own `steps`, drawn from what is left)."""
        grant = max(0, min(FIRST_GRANT, steps, self.left))
        return [grant, Meter(steps, self, grant)]


class Meter:
    """Counts one rule's steps behind its budget list; raises LimitExceeded past a limit."""

    __slots__ = ("allowance", "grant", "granted", "last", "limit", "used")

    def __init__(self, steps: int, allowance: Allowance, granted: int) -> None:
        self.limit = steps
        self.used = 0
        self.allowance = allowance
        self.granted = granted
        self.grant = FIRST_GRANT
        self.last = time.monotonic()

    def settle(self, b: list[Any]) -> None:
        """Count what was spent since the last grant, check the limits and the clock, grant more."""
        spent = self.granted - b[0]
        self.used += spent
        allowance = self.allowance
        allowance.left -= spent
        b[0] = 0  # a caller that catches the error and goes on is not granted more
        if self.used > self.limit:
            raise LimitExceeded(f"the rule took more than {self.limit:,} steps", "steps")
        if allowance.left < 0:
            raise LimitExceeded(f"the rule set took more than {allowance.limit:,} steps in all", "steps")
        now = time.monotonic()
        if now > allowance.deadline:
            raise LimitExceeded(
                f"the evaluation took more than {MAX_EVALUATION_SECONDS:g} s (wall clock)", "time"
            )
        elapsed, self.last = now - self.last, now
        if elapsed < CLOCK_INTERVAL / 2:
            self.grant = min(self.grant * 2, _MAX_GRANT)
        elif elapsed > CLOCK_INTERVAL:
            self.grant = max(self.grant // 4, _MIN_GRANT)
        self.granted = b[0] = min(self.grant, self.limit - self.used, allowance.left)


class _Unstarted:
    """The meter of a budget that has not settled yet: most evaluations end before, and cost no clock read."""

    __slots__ = ()

    @staticmethod
    def settle(b: list[Any]) -> None:
        # One rule, or rules compiled together: within one rule's steps, then each counts alone (evaluation).
        meter = Meter(MAX_RULE_STEPS, Allowance(MAX_RULE_STEPS), FIRST_GRANT)
        b[1] = meter
        meter.settle(b)


UNSTARTED = _Unstarted()


def deadline(b: list[Any]) -> float | None:
    """When the evaluation that used `b` must end (None if it never settled: it has barely begun)."""
    meter = b[1]
    return meter.allowance.deadline if isinstance(meter, Meter) else None


def blocks(items: list[Any], b: list[Any]) -> Any:
    """The elements of a long array, charged block by block as a loop reaches them."""
    b[0] += len(items)  # the loop charged all of them on entry: count them as they come instead
    return chain.from_iterable(_charged_blocks(items, b))


def _charged_blocks(items: list[Any], b: list[Any]) -> Any:
    for start in range(0, len(items), BLOCK):
        block = items[start : start + BLOCK]
        b[0] -= len(block)
        if b[0] < 0:
            b[1].settle(b)
        yield block


def loop(items: list[Any], b: list[Any], op: str) -> Any:
    """What a loop runs through, once its entry charge took `b` below zero: a long array block by block."""
    if op == "map" and len(items) > MAX_ARRAY_LENGTH:
        raise array_too_long("map", len(items))
    if len(items) > BLOCK:
        return blocks(items, b)
    b[1].settle(b)
    return items
