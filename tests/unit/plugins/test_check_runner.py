"""The runner: concurrency, time limits, retries with backoff, failures kept as results, secrets masked."""

from __future__ import annotations

import json
import logging
import random
import threading
from typing import Any

import pytest

from arbiter.plugins import (
    CHECK_FAILED,
    CheckError,
    Flag,
    InvalidPluginConfig,
    Plugin,
    PluginConfig,
    PluginRegistry,
    PluginResult,
    RetryPolicy,
    RunPolicy,
    TransientCheckError,
    run_checks,
    validate_configs,
)
from arbiter.secrets import SecretRef, SecretUnavailable
from tests.support.fakes import InMemorySecrets

CONTEXT = {
    "case_id": "c-1",
    "tenant_id": "t-1",
    "entity": {"type": "business", "business": {"name": "Acme Ltd"}},
    "documents": [],
    "metadata": {},
}
NO_JITTER = RunPolicy(timeout_seconds=5, retry=RetryPolicy(attempts=3, backoff_seconds=1, jitter=False))


class Echo(Plugin[PluginConfig]):
    name = "echo"
    version = "1.2.3"

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        return PluginResult.ok({"name": context["entity"]["business"]["name"]})


class FlakyConfig(PluginConfig):
    failures: int = 0
    permanent: bool = False


class Flaky(Plugin[FlakyConfig]):
    """Fails `failures` times (transiently, or permanently), then succeeds."""

    name = "flaky"
    version = "1.0.0"
    Config = FlakyConfig

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def run(self, context: dict[str, Any], config: FlakyConfig) -> PluginResult:
        with self._lock:
            self.calls += 1
            calls = self.calls
        if calls <= config.failures:
            if config.permanent:
                raise CheckError("the vendor refused the request")
            raise TransientCheckError(f"vendor answered 503 (call {calls})")
        return PluginResult.ok({"calls": calls})


class Stuck(Plugin[PluginConfig]):
    """Waits for a release that comes only at the end of the test."""

    name = "stuck"
    version = "1.0.0"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        self.calls += 1
        self.release.wait(10)
        return PluginResult.ok()


class Rendezvous(Plugin[PluginConfig]):
    """Succeeds only if its sibling runs at the same time (both wait at a barrier)."""

    name = "rendezvous"
    version = "1.0.0"

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=5)

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        self.barrier.wait()
        return PluginResult.ok()


class KeyConfig(PluginConfig):
    api_key: SecretRef
    fail_first: bool = True


class LeakyVendor(Plugin[KeyConfig]):
    """A vendor that echoes the API key back, in an error and then in its data."""

    name = "leaky"
    version = "1.0.0"
    Config = KeyConfig

    def __init__(self) -> None:
        self.calls = 0

    def run(self, context: dict[str, Any], config: KeyConfig) -> PluginResult:
        self.calls += 1
        if config.fail_first and self.calls == 1:
            raise TransientCheckError(f"401 invalid key {config.api_key.reveal()}")
        return PluginResult.ok({"echo": f"key={config.api_key.reveal()}"})


class Vandal(Plugin[PluginConfig]):
    name = "vandal"
    version = "1.0.0"

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        context["entity"]["business"]["name"] = "changed"
        context["documents"].append("junk")
        return PluginResult.ok()


class WrongShape(Plugin[PluginConfig]):
    name = "wrong_shape"
    version = "1.0.0"

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        return {"status": "ok"}  # type: ignore[return-value]


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def run(plugins: list[Plugin[Any]], configs: list[dict[str, Any]], **kwargs: Any) -> dict[str, PluginResult]:
    kwargs.setdefault("secrets", InMemorySecrets())
    kwargs.setdefault("sleep", Recorder())
    kwargs.setdefault("default_policy", NO_JITTER)
    return run_checks(CONTEXT, configs, registry=PluginRegistry(plugins), **kwargs)


def test_results_come_by_name_in_configured_order_with_version_and_duration() -> None:
    results = run([Echo(), Flaky()], [{"plugin": "flaky"}, {"plugin": "echo", "name": "echo_a"}])
    assert list(results) == ["flaky", "echo_a"]
    assert results["echo_a"].status == "ok"
    assert results["echo_a"].data == {"name": "Acme Ltd"}
    assert results["echo_a"].plugin_version == "1.2.3"
    assert results["echo_a"].duration_ms >= 0
    json.dumps({name: r.to_json() for name, r in results.items()})


def test_checks_run_concurrently() -> None:
    plugin = Rendezvous()
    results = run([plugin], [{"plugin": "rendezvous", "name": "a"}, {"plugin": "rendezvous", "name": "b"}])
    assert [r.status for r in results.values()] == ["ok", "ok"]


def test_transient_failures_are_retried_with_exponential_backoff() -> None:
    flaky, sleeps = Flaky(), Recorder()
    results = run([flaky], [{"plugin": "flaky", "config": {"failures": 2}}], sleep=sleeps)
    assert results["flaky"].status == "ok"
    assert results["flaky"].data == {"calls": 3}
    assert sleeps.sleeps == [1.0, 2.0]


def test_jitter_draws_each_wait_below_its_ceiling() -> None:
    flaky, sleeps = Flaky(), Recorder()
    policy = {"attempts": 4, "backoff_seconds": 2, "backoff_rate": 3, "max_backoff_seconds": 10}
    run(
        [flaky],
        [{"plugin": "flaky", "config": {"failures": 3}, "retry": policy}],
        sleep=sleeps,
        rng=random.Random(7),
    )
    assert len(sleeps.sleeps) == 3
    for wait, ceiling in zip(sleeps.sleeps, [2, 6, 10], strict=True):
        assert 0 <= wait <= ceiling


def test_a_check_that_keeps_failing_becomes_an_error_result_with_a_flag() -> None:
    flaky = Flaky()
    results = run([flaky, Echo()], [{"plugin": "flaky", "config": {"failures": 9}}, {"plugin": "echo"}])
    failed = results["flaky"]
    assert failed.status == "error"
    assert failed.error == "TransientCheckError: vendor answered 503 (call 3) (after 3 attempts)"
    assert flaky.calls == 3
    flag = failed.flags[-1]
    assert (flag.code, flag.severity, flag.subject) == (CHECK_FAILED, "high", "flaky")
    assert "flaky" in flag.message
    assert results["echo"].status == "ok"


def test_permanent_failures_are_not_retried() -> None:
    flaky, sleeps = Flaky(), Recorder()
    results = run([flaky], [{"plugin": "flaky", "config": {"failures": 1, "permanent": True}}], sleep=sleeps)
    assert results["flaky"].status == "error"
    assert results["flaky"].error == "CheckError: the vendor refused the request"
    assert flaky.calls == 1
    assert sleeps.sleeps == []


def test_an_attempt_past_its_time_limit_is_abandoned_and_retried() -> None:
    stuck = Stuck()
    try:
        results = run(
            [stuck, Echo()],
            [
                {"plugin": "stuck", "timeout_seconds": 0.2, "retry": {"attempts": 2, "jitter": False}},
                {"plugin": "echo"},
            ],
        )
    finally:
        stuck.release.set()
    assert results["stuck"].status == "error"
    assert results["stuck"].error == "AttemptTimedOut: no result within 0.2s (after 2 attempts)"
    assert stuck.calls == 2
    assert results["echo"].status == "ok"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_no_retry_waits_past_the_time_budget() -> None:
    flaky, clock = Flaky(), FakeClock()
    policy = {"attempts": 3, "backoff_seconds": 10, "jitter": False}
    results = run(
        [flaky],
        [{"plugin": "flaky", "config": {"failures": 5}, "retry": policy}],
        clock=clock,
        sleep=clock.sleep,
        time_budget_seconds=15,
    )
    assert flaky.calls == 2  # 10 s wait fits in 15 s; the next 20 s wait does not
    assert results["flaky"].status == "error"
    assert "after 2 attempts" in (results["flaky"].error or "")
    assert results["flaky"].data == {"out_of_time": True}  # with more time, it might have succeeded


def test_a_check_the_run_s_time_cuts_short_is_out_of_time_and_one_past_its_own_limit_is_not() -> None:
    cut, own = Stuck(), Stuck()
    try:
        results = run(
            [cut],
            [{"plugin": "stuck", "timeout_seconds": 5, "retry": {"attempts": 1}}],
            time_budget_seconds=0.2,
        )
        assert results["stuck"].status == "error"
        assert results["stuck"].data == {"out_of_time": True}
        results = run(
            [own],
            [{"plugin": "stuck", "timeout_seconds": 0.2, "retry": {"attempts": 1}}],
            time_budget_seconds=5,
        )
    finally:
        cut.release.set()
        own.release.set()
    assert results["stuck"].status == "error"
    assert results["stuck"].data == {}  # its own limit: a failure, whatever time the run had left


def test_a_permanent_failure_is_not_out_of_time_even_with_little_time_left() -> None:
    flaky = Flaky()
    results = run(
        [flaky], [{"plugin": "flaky", "config": {"failures": 1, "permanent": True}}], time_budget_seconds=5
    )
    assert results["flaky"].status == "error"
    assert "out_of_time" not in results["flaky"].data


def test_invalid_entries_become_error_results_and_the_rest_still_run() -> None:
    results = run(
        [Echo(), Flaky()],
        [{"plugin": "missing"}, {"plugin": "flaky", "config": {"failures": "many"}}, {"plugin": "echo"}],
    )
    assert results["missing"].status == "error"
    assert "unknown plugin 'missing'" in (results["missing"].error or "")
    assert results["flaky"].status == "error"
    assert "plugins[1].config.failures" in (results["flaky"].error or "")
    assert all(r.flags[-1].code == CHECK_FAILED for r in (results["missing"], results["flaky"]))
    assert results["echo"].status == "ok"


def test_a_plugin_returning_something_else_is_an_error() -> None:
    results = run([WrongShape()], [{"plugin": "wrong_shape"}])
    assert results["wrong_shape"].status == "error"
    assert "not a PluginResult" in (results["wrong_shape"].error or "")


def test_a_plugin_cannot_change_what_another_sees() -> None:
    results = run([Vandal(), Echo()], [{"plugin": "vandal"}, {"plugin": "echo"}], max_concurrency=1)
    assert results["echo"].data == {"name": "Acme Ltd"}
    assert CONTEXT["documents"] == []


def test_secret_values_never_appear_in_results_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk_live_5f3c2a9e77"
    secrets = InMemorySecrets({"secretsmanager:arbiter/test/leaky#key": secret})
    config = {"api_key": {"secret": "secretsmanager:arbiter/test/leaky#key"}}
    leaky = LeakyVendor()
    with caplog.at_level(logging.DEBUG, logger="arbiter"):
        results = run(
            [leaky],
            [
                {"plugin": "leaky", "config": config},
                {"plugin": "leaky", "name": "leaky_fails", "config": {**config}, "retry": {"attempts": 1}},
            ],
            secrets=secrets,
            max_concurrency=1,
        )
    assert leaky.calls == 3
    text = json.dumps({name: r.to_json() for name, r in results.items()}) + caplog.text
    assert secret not in text
    assert results["leaky"].data == {"echo": "key=***"}
    assert "***" in caplog.text


def test_missing_secrets_fail_the_check_without_retrying() -> None:
    secrets = InMemorySecrets()
    results = run(
        [LeakyVendor()],
        [{"plugin": "leaky", "config": {"api_key": {"secret": "ssm:/absent"}}}],
        secrets=secrets,
    )
    assert results["leaky"].status == "error"
    assert "ssm:/absent" in (results["leaky"].error or "")
    assert secrets.reads == ["ssm:/absent"]


def test_secrets_unavailable_for_a_passing_reason_are_retried() -> None:
    class Throttled(InMemorySecrets):
        def resolve(self, reference: str) -> str:
            self.reads.append(reference)
            if len(self.reads) < 3:
                raise SecretUnavailable(reference, "ThrottlingException", transient=True)
            return "value-1234"

    secrets = Throttled()
    results = run(
        [LeakyVendor()],
        [{"plugin": "leaky", "config": {"api_key": {"secret": "ssm:/k"}, "fail_first": False}}],
        secrets=secrets,
    )
    assert results["leaky"].status == "ok"
    assert len(secrets.reads) == 3


class ManyFlags(Plugin[PluginConfig]):
    name = "many_flags"
    version = "1.0.0"

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        flags = [Flag(code="minor", severity="low", message=f"minor {i}") for i in range(80)]
        flags.append(Flag(code="major", severity="critical", message="the one that matters"))
        return PluginResult.ok({"blob": "x" * 100_000, "hits": 81}, flags)


def test_oversized_results_are_cut_and_say_so() -> None:
    result = run([ManyFlags()], [{"plugin": "many_flags"}])["many_flags"]
    codes = [f.code for f in result.flags]
    assert codes[0] == "major"
    assert codes.count("minor") == 48
    assert codes[-2:] == ["flags_truncated", "result_truncated"]
    assert result.data["truncated"] is True
    assert result.data["kept"] == {"hits": 81}
    assert len(json.dumps(result.to_json())) < 32_768


def test_checks_can_declare_their_own_policy() -> None:
    class Patient(Flaky):
        name = "patient"

        def policy(self, config: FlakyConfig) -> RunPolicy:
            return RunPolicy(
                timeout_seconds=1, retry=RetryPolicy(attempts=5, backoff_seconds=0.5, jitter=False)
            )

    patient, sleeps = Patient(), Recorder()
    results = run([patient], [{"plugin": "patient", "config": {"failures": 4}}], sleep=sleeps)
    assert results["patient"].status == "ok"
    assert sleeps.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_a_check_runs_only_where_its_condition_holds_and_is_recorded_skipped_elsewhere() -> None:
    named = {"==": [{"var": "entity.business.name"}, "Acme Ltd"]}
    other = {"==": [{"var": "entity.business.country"}, "DE"]}
    results = run(
        [Echo()],
        [
            {"plugin": "echo", "name": "here", "when": named},
            {"plugin": "echo", "name": "de_only", "when": other},
        ],
    )
    assert results["here"].status == "ok"
    assert results["de_only"].status == "skipped"
    assert results["de_only"].data["reason"] == "the check's condition (when) does not hold for this case"


def test_a_condition_that_is_no_json_logic_is_refused_naming_it() -> None:
    with pytest.raises(InvalidPluginConfig) as caught:
        validate_configs([{"plugin": "echo", "when": {"no_such_operator": [1]}}], PluginRegistry([Echo()]))
    assert caught.value.path.startswith("plugins[0].when")
