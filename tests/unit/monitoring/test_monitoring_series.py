"""A series counts a transaction in place (`Series.tally`: the transaction added, the buckets past retention dropped
and the counterparties past their horizon forgotten) as the three steps taken one after the other do."""

from __future__ import annotations

import bisect
import random
from decimal import Decimal

import pytest

from arbiter.domain.monitoring_series import Series, party_mark


def _columns(series: Series) -> tuple:
    """The series' columns as they are now (copies: a later change to the series does not reach them)."""
    amounts = [
        (c, a.scale, tuple(a.n), tuple(a.s), tuple(a.x), tuple(a.i)) for c, a in series.amounts.items()
    ]
    return tuple(series.index), tuple(series.count), amounts, [tuple(p) for p in series.parties]


def _drop_before(series: Series, number: int) -> None:
    """The buckets before bucket `number` forgotten, and a currency none of the others has."""
    if series.index and series.index[0] < number:
        end = bisect.bisect_left(series.index, number)
        del series.index[:end], series.count[:end], series.parties[:end]
        for currency, amounts in list(series.amounts.items()):
            amounts.delete(0, end)
            if not any(amounts.n):
                del series.amounts[currency]


def _forget_parties_before(series: Series, number: int | None) -> None:
    """The counterparties of the buckets before bucket `number` forgotten (None: of every bucket)."""
    end = len(series.index) if number is None else bisect.bisect_left(series.index, number)
    series.parties[:end] = [()] * end


def _step_by_step(
    series: Series,
    number: int,
    currency: str,
    amount: Decimal,
    inbound: bool,
    mark: int | None,
    room: int,
    kept_from: int | None,
    parties_from: int | None,
    forget: bool,
) -> Series:
    moved = series.copy()
    moved.add(number, currency, amount, inbound, f"{mark:08x}" if mark is not None else None, room)
    if kept_from is not None:
        _drop_before(moved, kept_from)
    if forget:
        _forget_parties_before(moved, parties_from)
    return moved


@pytest.mark.parametrize("seed", range(12))
def test_counting_in_one_pass_makes_the_series_counting_step_by_step_made(seed: int):
    rng = random.Random(seed)
    series = Series("D")
    for _ in range(120):
        number = rng.randrange(1000, 1060)
        newest = not series.index or number >= series.index[-1]
        horizon = rng.choice([0, 1, 7])
        arguments = (
            number,
            rng.choice(["EUR", "EUR", "USD", "BTC"]),
            Decimal(rng.choice(["12.5", "0.01", "9999", "1E+3", "0.00000001", "420.123"])),
            rng.random() < 0.5,
            party_mark(f"party-{rng.randrange(40)}") if horizon else None,
            rng.choice([2, 32]),
            number - rng.choice([5, 30]) if newest else None,
            number - horizon + 1 if horizon else None,
            newest,
        )
        expected = _columns(_step_by_step(series, *arguments))
        series.tally(*arguments)
        assert _columns(series) == expected
