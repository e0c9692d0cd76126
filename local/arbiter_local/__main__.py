"""`make demo`: start the local stack, print where everything is, stop cleanly on Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from arbiter_local.stack import LocalStack, PortInUse, StackConfig


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="arbiter_local", description="Run Arbiter locally.")
    parser.add_argument("--api-port", type=int, default=3000, help="API and back office (default 3000)")
    parser.add_argument(
        "--moto-port", type=int, default=5000, help="AWS services emulated by moto (default 5000)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--template", type=Path, default=None, help="template to provision (default template.yaml)"
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="start empty: no demo tenant, reviewers or data"
    )
    parser.add_argument("--verbose", action="store_true", help="log every AWS call and handler log line")
    return parser.parse_args(argv)


def _banner(stack: LocalStack, started: float) -> str:
    seeded = stack.seeded
    lines = [
        "",
        f"Arbiter is running locally (ready in {time.monotonic() - started:.1f}s).",
        "",
        f"  Back office     {stack.api_url}/",
        f"  API             {stack.api_url}/v1/   (OpenAPI: {stack.api_url}/v1/openapi.json)",
        f"  Health          {stack.api_url}/health",
        f"  AWS endpoint    {stack.moto_url}   e.g. aws --endpoint-url {stack.moto_url} dynamodb list-tables",
        "                  (any access key and secret work; region us-east-1)",
    ]
    if seeded:
        lines += ["", f"  Demo API key    {seeded.get('api_key')}   (tenant {seeded.get('tenant_id')})"]
        for email, role in seeded.get("reviewers", {}).items():
            lines.append(f"  Reviewer        {email:<26} password {seeded.get('password')}  ({role})")
        listed = seeded.get("watchlist", {}).get("listed_for_demo")
        if listed:
            lines.append(f"  Watchlist       {'; '.join(listed)}")
            lines.append(
                "                  (an owner or business named like one of these goes to review, match explained)"
            )
        if seeded.get("sample_cases"):
            lines.append(
                f"  Sample cases    {len(seeded['sample_cases'])} started: see the back office's queue"
            )
        for link in seeded.get("collection_links", []):
            lines.append(f"  Collection link {link}")
            lines.append(
                "                  (the applicant's side: fill in the sample business's application)"
            )
        if seeded.get("collection_links"):
            lines.append(f"  Mail            {stack.api_url}/mail")
            lines.append(
                "                  (the e-mail sent to applicants: links, revisions, confirmations; moto's SES)"
            )
        sent = seeded.get("demo_transactions")
        if sent:
            lines.append(
                f"  Transactions    {sent['transactions']:,} for {sent['customers']} customers, being sent and "
                f"scored in the background: alerts at {stack.api_url}/alerts"
            )
    lines += ["", "Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Start, serve until interrupted, stop."""
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    # moto.stepfunctions: its ASL parser warns of declarations it does not evaluate (ToleratedFailurePercentage).
    for noisy in ("werkzeug", "botocore", "urllib3", "httpx", "moto.stepfunctions"):
        logging.getLogger(noisy).setLevel(logging.INFO if args.verbose else logging.ERROR)
    config = StackConfig(
        api_port=args.api_port,
        moto_port=args.moto_port,
        host=args.host,
        seed=not args.no_seed,
        sample_cases=not args.no_seed,
    )
    if args.template is not None:
        config.template = args.template.resolve()
    started = time.monotonic()
    stack = LocalStack(config, progress=lambda message: print(f"==> {message}", flush=True))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C stops the stack even when the parent process started us with SIGINT ignored (Python then installs
    # no KeyboardInterrupt handler of its own).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        stack.start()
    except PortInUse as exc:
        print(
            f"arbiter: {exc} (use --api-port / --moto-port, or make demo API_PORT=… MOTO_PORT=…)",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        stack.stop()
        return 130
    try:
        print(_banner(stack, started), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    print("==> stopping", flush=True)
    # Stopping closes the ports; a workflow thread moto still runs (a Retry backoff, a Wait state) must not
    # keep Ctrl-C waiting, so the stop gets a bounded time and the process then ends (see below).
    stopper = threading.Thread(target=stack.stop, name="stop", daemon=True)
    stopper.start()
    stopper.join(timeout=STOP_TIMEOUT_S)
    return 0


STOP_TIMEOUT_S = 10


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything lives in memory and the servers are stopped: end now, without joining moto's execution
    # threads or the event-delivery pool, which may be waiting on work that no longer matters.
    os._exit(code)
