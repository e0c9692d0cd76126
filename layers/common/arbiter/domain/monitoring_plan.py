"""The rule context of one monitoring rule set version, as a function generated for the paths it reads.

`monitoring.monitoring_context` makes the context any rule set may read, its windows through `Series.window`, which
works out at each call which figures and columns a window needs. A version reads a fixed set of paths, so that
work can be done once: `context_plan(paths)` writes the Python source of a function that reads the customer's
series (the profile's columns) straight, each granularity's bounds found once for all its windows, each column
summed once for the figures that need it, and that makes only the objects and fields the paths read.

Its context answers every path read exactly as `monitoring_context` does (the same values, of the same types:
`tests/unit/monitoring/test_monitoring_plan.py` compares them on random histories). A version whose paths the
plan does not cover (computed paths, a whole `tx`, `customer` or `window` read, the whole context) has no plan,
and its decisions use `monitoring_context`. The counterparty's object and the country's windows come from the same
code as in `monitoring_context`: few rule sets read them, and they cost little.

Only names of this module's closed lists (`WINDOWS`, `FIGURES`, the context's fields) ever reach the source: a path
naming anything else reads nothing, as in `monitoring_context`, and is left out.
"""

from __future__ import annotations

import bisect
import builtins
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from arbiter.domain.monitoring import (
    WINDOWS,
    History,
    Needs,
    bucket_indexes,
    counterparty_context,
    country_context,
    customer_days_known,
    days_since_last,
    first_seen,
)
from arbiter.domain.monitoring_series import FIGURES
from arbiter.domain.transactions import Transaction

__all__ = ["ContextPlan", "context_plan"]

#: The generated function: the rule context of a decision on `tx`, given the history read and the version's needs.
ContextPlan = Callable[[Transaction, History, Needs], dict[str, Any]]

#: The transaction's fields: how each is read (`tx` is the transaction, `at` its time in UTC).
_TX = {
    "id": "tx.id",
    "amount": "float(tx.amount)",
    "currency": "tx.currency",
    "direction": "tx.direction",
    "type": "tx.type",
    "channel": "tx.channel",
    "time": "at.isoformat()",
    "hour": "at.hour",
    "weekday": "at.isoweekday()",
    "metadata": "tx.metadata",
}
_PARTY = ("name", "account", "country")
#: The customer's fields (`seen` is its marker).
_CUSTOMER = {
    "id": "tx.customer_id",
    "first_transaction": "_first_seen(seen, tx.time)",
    "transactions": "seen.count if seen else 0",
    "days_since_last": "_days_since_last(history, tx)",
    "days_known": "_days_known(seen, tx.time)",
    "risk_level": "history.risk_level",
}
#: The counterparty country's own fields (`country` is its code, `known` its marker in the customer's profile).
_COUNTRY = {
    "code": "country",
    "first_seen": "bool(country) and _first_seen(known, tx.time)",
    "transactions": "known.count if known else 0",
}
_NAMESPACE = {
    "_bisect_left": bisect.bisect_left,
    "_bisect_right": bisect.bisect_right,
    "_UTC": dt.UTC,
    "_indexes": bucket_indexes,
    "_first_seen": first_seen,
    "_days_since_last": days_since_last,
    "_days_known": customer_days_known,
    "_counterparty": counterparty_context,
    "_country": country_context,
}


class _Wanted:
    """What the paths read, sorted out: the transaction's and customer's fields, the figures of each window, and
    whether the counterparty and country objects are read."""

    def __init__(self) -> None:
        self.tx: dict[str, None] = {}
        self.party: dict[str, None] = {}
        self.customer: dict[str, None] = {}
        self.windows: dict[str, set[str]] = {}
        self.country_fields: dict[str, None] = {}
        self.counterparty = self.country = False

    def add(self, path: str) -> bool:
        """Note `path`; False when the plan cannot answer it as `monitoring_context` does."""
        parts = path.split(".")
        head, rest = parts[0], parts[1:]
        if not path or (head in ("tx", "customer", "window") and not rest):
            return False  # an object read whole: its every field, as monitoring_context makes it
        if head == "tx":
            if rest[0] == "counterparty":
                if len(rest) == 1:
                    self.party.update(dict.fromkeys(_PARTY))
                elif rest[1] in _PARTY:
                    self.party[rest[1]] = None
            elif rest[0] in _TX:
                self.tx[rest[0]] = None
        elif head == "customer":
            if rest[0] in _CUSTOMER:
                self.customer[rest[0]] = None
        elif head == "window":
            if rest[0] not in WINDOWS:
                return False  # monitoring_context then works out every window whole
            if len(rest) == 1:
                self.windows.setdefault(rest[0], set()).update(FIGURES)  # read whole: every figure
            elif rest[1] in FIGURES:
                self.windows.setdefault(rest[0], set()).add(rest[1])
        elif head == "counterparty":
            self.counterparty = True
        elif head == "country":
            if rest and rest[0] in _COUNTRY:
                self.country_fields[rest[0]] = None
            elif not rest or rest[0] == "window":
                self.country = True  # its windows, or the whole object: made as monitoring_context makes it
        return True


def context_plan(paths: tuple[str, ...] | None) -> ContextPlan | None:
    """The context function for rules reading `paths` (`{"var": path}`), or None when they read something it does
    not cover (None: paths computed when the rules run)."""
    if paths is None:
        return None
    return _plan(tuple(sorted(set(paths))))


@functools.lru_cache(maxsize=64)
def _plan(paths: tuple[str, ...]) -> ContextPlan | None:
    wanted = _Wanted()
    if not all(wanted.add(path) for path in paths):
        return None
    namespace: dict[str, Any] = dict(_NAMESPACE)
    code = builtins.compile(_source(wanted), "<monitoring context>", "exec")
    exec(code, namespace)  # noqa: S102 - made of this module's own names only (see the module's docstring)
    plan: ContextPlan = namespace["context"]
    return plan


def _source(wanted: _Wanted) -> str:
    lines = ["def context(tx, history, needs):"]
    body: list[str] = []
    if wanted.tx.keys() & {"time", "hour", "weekday"}:
        body.append("at = tx.time.astimezone(_UTC)")
    if wanted.customer.keys() & {"first_transaction", "transactions", "days_known"}:
        body.append("seen = history.customer")
    fields = [f"{name!r}: {_TX[name]}" for name in wanted.tx]
    if wanted.party:
        party = ", ".join(f"{name!r}: tx.counterparty.{name}" for name in wanted.party)
        fields.append(f"'counterparty': {{{party}}}")
    objects = [f"'tx': {{{', '.join(fields)}}}"] if fields else []
    if wanted.customer:
        customer = ", ".join(f"{name!r}: {_CUSTOMER[name]}" for name in wanted.customer)
        objects.append(f"'customer': {{{customer}}}")
    if wanted.windows:
        body += _windows(wanted.windows)
        windows = ", ".join(
            f"{name!r}: {{{', '.join(_figure(name, f) for f in FIGURES if f in wanted.windows[name])}}}"
            for name in WINDOWS
            if name in wanted.windows
        )
        objects.append(f"'window': {{{windows}}}")
    if wanted.counterparty:
        objects.append("'counterparty': _counterparty(tx, history, needs)")
    if wanted.country:
        objects.append("'country': _country(tx, history, needs)")
    elif wanted.country_fields:
        body += ["country = tx.counterparty.country", "known = history.country"]
        country = ", ".join(f"{name!r}: {_COUNTRY[name]}" for name in wanted.country_fields)
        objects.append(f"'country': {{{country}}}")
    body.append(f"return {{{', '.join(objects)}}}")
    return "\n".join(lines + [f"    {line}" for line in body]) + "\n"


def _windows(windows: dict[str, set[str]]) -> list[str]:
    """Statements working out the windows' figures: per granularity, its series, the bounds of the buckets up to
    the transaction's and the currency's amounts; per window, each column summed once (`Series.window`'s sums)."""
    body = ["numbers = _indexes(tx.time)", "series = history.profile.series"]
    for granularity in ("M", "H", "D"):
        names = [name for name in WINDOWS if name in windows and WINDOWS[name][0] == granularity]
        if not names:
            continue
        g = granularity
        body += [
            f"s{g} = series[{g!r}]",
            f"i{g} = s{g}.index",
            f"last{g} = numbers[{g!r}]",
            f"b{g} = _bisect_right(i{g}, last{g})",
        ]
        if any(windows[name] - {"count", "counterparties"} for name in names):  # a figure of the currency's
            body += [
                f"m{g} = s{g}.amounts.get(tx.currency)",
                f"u{g} = 10 ** m{g}.scale if m{g} is not None else 1",
            ]
        for name in names:
            figures, w, size = windows[name], _local(name), WINDOWS[name][1]
            body.append(f"a{w} = _bisect_left(i{g}, last{g} - {size - 1})")
            counted = figures & {"currency_count", "avg"}
            summed = figures & {"sum", "avg", "outbound_sum"}
            inbound = figures & {"inbound_sum", "outbound_sum"}
            for column, wanted in (("n", counted), ("s", summed), ("i", inbound)):
                if wanted:
                    body.append(f"{column}{w} = sum(m{g}.{column}[a{w}:b{g}]) if m{g} is not None else 0")
            if "max" in figures:
                body.append(f"x{w} = max(m{g}.x[a{w}:b{g}], default=0) if m{g} is not None else 0")
            if "counterparties" in figures:
                body.append(f"p{w} = s{g}.parties[a{w}:b{g}]")
    return body


def _figure(name: str, figure: str) -> str:
    """A figure's entry in a window, as `Series.window` works it out (the same expression, the same type)."""
    w, g = _local(name), WINDOWS[name][0]
    expressions = {
        "count": f"sum(s{g}.count[a{w}:b{g}])",
        "currency_count": f"n{w}",
        "sum": f"s{w} / u{g}",
        "avg": f"s{w} / (u{g} * n{w}) if n{w} else 0.0",
        "max": f"x{w} / u{g}",
        "inbound_sum": f"i{w} / u{g}",
        "outbound_sum": f"(s{w} - i{w}) / u{g}",
        "counterparties": f"len(set().union(*p{w})) if any(p{w}) else 0",
    }
    return f"{figure!r}: {expressions[figure]}"


def _local(window: str) -> str:
    """A window's name as a part of a local's (`24h`: `_24h`)."""
    return f"_{window}"
