"""Generated transactions for the demo's customers, so transaction monitoring and the alerts queue have work.

The stream is deterministic (a seeded RNG; times relative to when the demo starts): 25 customers — the sample
cases' three and 22 more — with their own usual amounts, counterparties and home country over the last 60 days,
plus a few planted patterns the default scenarios catch: structuring just below 10,000, a burst of payments within
the hour, money out within a day of coming in, a first payment to a high-risk country, a dormant account waking up,
many new counterparties in a week, an amount far above the customer's average, and a large single amount. It is sent
as an integrator would, through `POST /v1/transactions/batch`, from a background thread once the API serves (the
demo is usable at once): the batches are accepted and scored by the queue's scoring function, the customers with
planted patterns first, a batch at a time as the queue empties (the local queue slows down as it grows), so the
alerts queue has work within a minute or so and the rest follows in a few minutes.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "DEMO_TRANSACTION_SEED",
    "demo_transactions",
    "send_demo_transactions",
    "send_in_background",
    "sending_order",
]

DEMO_TRANSACTION_SEED = 20261206
#: The sample cases' entities (seed.SAMPLE_CASES), then customers of the demo's own.
SAMPLE_CUSTOMERS = ["sample-acme", "sample-tehran-trading", "sample-john-doe"]
DEMO_CUSTOMERS = SAMPLE_CUSTOMERS + [f"demo-customer-{n:02d}" for n in range(1, 23)]
HOME_COUNTRIES = ["DE", "FR", "NL", "GB", "ES", "IT"]
MERCHANTS = [
    "Northwind Trading",
    "Contoso Supplies",
    "Fabrikam Logistics",
    "Tailspin Toys",
    "Litware Software",
    "Adventure Works",
    "Proseware Office",
    "Woodgrove Utilities",
    "Alpine Ski House",
    "Coho Winery",
]
#: Transactions per batch request (the API takes 1,000; smaller batches are accepted quicker by the local queue).
BATCH_SIZE = 100
#: The customers with planted patterns, sent first.
PLANTED_CUSTOMERS = [
    "sample-acme",
    "sample-john-doe",
    "sample-tehran-trading",
    "demo-customer-01",
    "demo-customer-02",
    "demo-customer-03",
    "demo-customer-04",
    "demo-customer-05",
]
HISTORY_DAYS = 60
PER_CUSTOMER = 80


def _iban(rng: random.Random, country: str) -> str:
    return f"{country}{rng.randint(10, 99)}{rng.randint(10**15, 10**16 - 1)}"


def _usual(rng: random.Random, customer: str, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """A customer's ordinary life: income every two weeks, payments to a handful of counterparties at home (until
    four days ago: the planted patterns are read against the customer's usual history, not mixed into it)."""
    home = rng.choice(HOME_COUNTRIES)
    parties = [(name, _iban(rng, home)) for name in rng.sample(MERCHANTS, rng.randint(3, 6))]
    typical = rng.uniform(40, 400)
    start = now - dt.timedelta(days=HISTORY_DAYS)
    for day in range(0, HISTORY_DAYS, 14):
        yield {
            "customer": customer,
            "amount": round(typical * rng.uniform(8, 12), 2),
            "direction": "inbound",
            "type": "transfer",
            "counterparty": {"name": "Payroll", "account": _iban(rng, home), "country": home},
            "time": start + dt.timedelta(days=day, hours=8),
        }
    for _ in range(PER_CUSTOMER):
        name, account = rng.choice(parties)
        yield {
            "customer": customer,
            "amount": round(max(1.0, rng.gauss(typical, typical / 4)), 2),
            "direction": "outbound",
            "type": rng.choice(["card", "card", "transfer"]),
            "counterparty": {"name": name, "account": account, "country": home},
            "time": start + dt.timedelta(minutes=rng.randint(0, (HISTORY_DAYS - 4) * 1440)),
        }


def _planted(rng: random.Random, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """The patterns the default scenarios catch, each on its own customer, within the last days."""
    recent = now - dt.timedelta(hours=30)

    def tx(customer: str, amount: float, at: dt.datetime, **fields: Any) -> dict[str, Any]:
        return {
            "customer": customer,
            "amount": amount,
            "direction": "outbound",
            "type": "transfer",
            "counterparty": {"name": "Harbor Exchange", "account": "DE44500105175407324931", "country": "DE"},
            "time": at,
            **fields,
        }

    # Structuring: three payments just below 10,000 within a few hours.
    for n, amount in enumerate([9400.0, 9650.0, 9800.0]):
        yield tx("sample-acme", amount, recent + dt.timedelta(hours=2 * n))
    # A burst: eight card payments within forty minutes.
    for n in range(8):
        yield tx(
            "sample-john-doe",
            round(rng.uniform(20, 60), 2),
            recent + dt.timedelta(minutes=5 * n),
            type="card",
        )
    # A first payment to a high-risk country.
    yield tx("sample-tehran-trading", 4200.0, recent, counterparty={"name": "Kish Commerce", "country": "IR"})
    # In, then out within a day.
    yield tx(
        "demo-customer-01",
        15000.0,
        recent,
        direction="inbound",
        counterparty={"name": "Unknown Sender Ltd", "account": "GB29NWBK60161331926819", "country": "GB"},
    )
    yield tx(
        "demo-customer-01",
        14500.0,
        recent + dt.timedelta(hours=5),
        counterparty={"name": "Crypto Bridge OU", "account": "EE382200221020145685", "country": "EE"},
    )
    # Dormant for months, then a large payment.
    yield tx("demo-customer-02", 35.0, now - dt.timedelta(days=220))
    yield tx("demo-customer-02", 2500.0, recent)
    yield tx("demo-customer-03", 25000.0, recent)  # a large single amount (flag and review with the average)
    # Many new counterparties within a week.
    for n in range(11):
        yield tx(
            "demo-customer-04",
            round(rng.uniform(50, 150), 2),
            recent - dt.timedelta(days=5) + dt.timedelta(hours=9 * n),
            counterparty={"name": f"Payee {n}", "account": _iban(rng, "NL"), "country": "NL"},
        )
    # An amount far above the customer's 90-day average.
    yield tx("demo-customer-05", 6000.0, recent)


def demo_transactions(now: dt.datetime, seed: int = DEMO_TRANSACTION_SEED) -> list[dict[str, Any]]:
    """The demo's transactions as the API takes them, oldest first (the same stream for the same `now`)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    raw: list[dict[str, Any]] = []
    for customer in DEMO_CUSTOMERS:
        if customer != "demo-customer-02":  # dormant: only its old and its recent transaction
            raw += _usual(rng, customer, now)
    raw += _planted(rng, now)
    raw.sort(key=lambda t: (t["time"], t["customer"]))
    return [
        {
            "id": f"demo-tx-{number:05d}",
            "customer": {"id": t["customer"]},
            "amount": t["amount"],
            "currency": "EUR",
            "direction": t["direction"],
            "type": t["type"],
            "counterparty": t["counterparty"],
            "time": t["time"].astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "channel": "demo",
            "metadata": {},
        }
        for number, t in enumerate(raw)
    ]


def sending_order(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stream as it is sent: the customers with planted patterns first (so their alerts come first), each
    customer's transactions in time order (the queue decides one customer's in the order sent)."""
    first = {customer: rank for rank, customer in enumerate(PLANTED_CUSTOMERS)}
    return sorted(stream, key=lambda t: first.get(t["customer"]["id"], len(first)))  # stable: time order kept


def send_demo_transactions(
    client: Any, now: dt.datetime, backlog: Callable[[], int] | None = None, pause: float = 0.5
) -> list[str]:
    """Send the demo stream through the batch API with `client` (an httpx client with the demo API key); the
    batches' ids. With `backlog` (messages waiting in the queue), each batch waits until fewer than a batch wait:
    the local queue slows down with its length, so a paced stream is scored sooner than one sent at once."""
    stream = sending_order(demo_transactions(now))
    batches = []
    for start in range(0, len(stream), BATCH_SIZE):
        while backlog is not None and backlog() >= BATCH_SIZE:
            time.sleep(pause)
        response = client.post(
            "/v1/transactions/batch", json={"transactions": stream[start : start + BATCH_SIZE]}
        )
        response.raise_for_status()
        batches.append(str(response.json()["batch_id"]))
    return batches


def send_in_background(
    api_url: str, api_key: str, backlog: Callable[[], int], progress: Callable[[str], None]
) -> dict[str, Any]:
    """Send the demo stream from a daemon thread (the demo is usable meanwhile), paced by the queue's `backlog`;
    what will be sent."""
    import httpx

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)

    def send() -> None:
        try:
            with httpx.Client(base_url=api_url, headers={"X-API-Key": api_key}, timeout=120) as client:
                batches = send_demo_transactions(client, now, backlog)
        except Exception as exc:  # the stack stopping while it sends, most likely: say so and end
            progress(f"demo transactions: not all sent ({exc})")
            return
        progress(f"demo transactions: {len(batches)} batches accepted")

    threading.Thread(target=send, name="demo-transactions", daemon=True).start()
    return {"transactions": len(demo_transactions(now)), "customers": len(DEMO_CUSTOMERS)}
