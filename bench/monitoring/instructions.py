"""Instructions per decision of the scoring path, counted by valgrind's callgrind: the same for the same code and
stream whatever else the machine is doing (within about 1 %: memory layout still moves a few collections), where
the CPU time bench/monitoring/run.py measures moves by 5-10 % from one run to the next on a shared machine. For
comparing two versions of the code; CPU time stays the figure the goal is judged by.

    .venv/bin/python bench/monitoring/instructions.py                 # this checkout
    .venv/bin/python bench/monitoring/instructions.py --root ../other # another checkout, same stream
    .venv/bin/python bench/monitoring/instructions.py --kept          # profiles kept as objects, not packed
    .venv/bin/python bench/monitoring/instructions.py --floor complete  # floor.py's complete floor (or floor)

The stream is bench/monitoring's, of 40 customers, so that its customers' histories are as long as the main bench's
by its 2,000th transaction. The program runs twice under callgrind, deciding the first 2,000 transactions and then
the first 3,000; the difference of the two counts, divided by 1,000, is what a decision of the stream's last third
costs, without the interpreter's start, the imports and the stream's generation. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS, FIRST, LAST = 40, 2_000, 3_000

#: What each counted run executes: the root's code deciding the first `n` transactions of the stream.
_PROGRAM = """
import datetime as dt, sys
root, n, customers, count, subject = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path[:0] = [root + "/layers/common", root]
sys.argv = sys.argv[:1]
from bench.monitoring.run import START, stream
payloads = stream(customers, count, 17)[:n]
if subject in ("floor", "complete"):
    from arbiter.rules.evaluation import compile_rule_set
    from arbiter.services.transactions import default_scenarios
    from bench.monitoring.floor import complete, floor
    rules = compile_rule_set(default_scenarios())
    (floor(payloads, rules, packed=False) if subject == "floor" else complete(payloads, rules))()
else:
    from arbiter.domain.principal import Principal
    from arbiter.domain.transactions import Transaction
    from arbiter.services.transactions import decide_transaction
    from tests.unit.transaction_fakes import MonitoringDeps
    key = Principal(kind="integrator", tenant_id="bench", id="key_1")
    deps = MonitoringDeps(clock=START + dt.timedelta(days=91))
    deps.transactions.copies = False
    deps.transactions.packs = subject != "kept"
    for payload in payloads:
        decide_transaction(deps, key, Transaction.model_validate(payload))
"""


def counted(root: Path, transactions: int, subject: str) -> int:
    """Instructions callgrind counts for the whole program deciding `transactions` of the stream: by the scoring
    path (`subject` "kept": profiles kept as objects; "packed": packed as the adapter packs them) or by one of
    floor.py's loops ("floor": columns in a dict; "complete")."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            _PROGRAM,
            str(root),
            str(transactions),
            str(CUSTOMERS),
            str(LAST),
            subject,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code is counted")
    parser.add_argument(
        "--kept", action="store_true", help="profiles kept as objects (the aggregates in memory), not packed"
    )
    parser.add_argument(
        "--floor",
        choices=("floor", "complete"),
        help="count floor.py's loop instead of the path: the floor (columns in a dict) or the complete floor",
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    root = args.root.resolve()
    subject = args.floor or ("kept" if args.kept else "packed")
    per_decision = (counted(root, LAST, subject) - counted(root, FIRST, subject)) / (LAST - FIRST)
    form = {
        "kept": "the path, profiles kept as objects",
        "packed": "the path, profiles packed",
        "floor": "floor.py's floor, columns in a dict",
        "complete": "floor.py's complete floor",
    }[subject]
    print(f"{root}: {per_decision:,.0f} instructions a decision, {form} (transactions {FIRST:,}-{LAST:,})")


if __name__ == "__main__":
    main()
