"""The fakes the service tests use are the ports they stand in for: each is assigned to its protocol here, which
mypy checks (`make lint`); the repositories are checked in `backends.Ports`, beside their DynamoDB adapters."""

from __future__ import annotations

import datetime as dt

from arbiter.domain.sealed import SecretBox
from arbiter.plugins.builtin.sanctions import WatchlistSource
from arbiter.services.authorization import AuthorizationDeps
from arbiter.services.automation import AutomationDeps
from arbiter.services.cases import CaseDeps
from arbiter.services.documents import DocumentDeps, DocumentHashes, DocumentStore, PageFetcher
from arbiter.services.full_rescreen import FullRescreenDeps
from arbiter.services.ongoing_screening import OngoingScreeningDeps
from arbiter.services.ports import (
    AuthFailureCounter,
    FullRescreens,
    ListFingerprints,
    RescreenManifests,
    UsagePlans,
    WorkflowEngine,
)
from arbiter.services.transactions import TransactionStore
from arbiter.services.webhook_delivery import DeliveryScheduler, WebhookDeps, WebhookSender
from tests.unit.documents.fakes import FakeFetcher, InMemoryHashes, InMemoryStore, document_deps
from tests.unit.fakes import FakeEngine, FakeUsagePlans, InMemoryAuthFailures, InMemorySecretBox
from tests.unit.monitoring_fakes import (
    InMemoryFingerprints,
    InMemoryManifests,
    InMemoryRescreens,
    InMemoryWatchlists,
    monitoring_deps,
)
from tests.unit.transaction_fakes import InMemoryTransactions
from tests.unit.webhook_fakes import RecordingScheduler, ScriptedSender


def test_one_set_of_fakes_is_every_use_cases_dependencies() -> None:
    deps = document_deps(FakeFetcher())
    as_cases: CaseDeps = deps
    as_documents: DocumentDeps = deps
    as_automation: AutomationDeps = deps
    as_webhooks: WebhookDeps = deps
    as_authorizer: AuthorizationDeps = deps
    assert as_cases.cases is as_documents.cases is as_automation.cases is as_webhooks.cases is deps.cases
    assert as_documents.store is deps.store
    assert as_authorizer.tenants is as_webhooks.tenants is deps.tenants


def test_every_other_fake_is_its_port() -> None:
    engine: WorkflowEngine = FakeEngine()
    transactions: TransactionStore = InMemoryTransactions()
    plans: UsagePlans = FakeUsagePlans()
    failures: AuthFailureCounter = InMemoryAuthFailures()
    box: SecretBox = InMemorySecretBox()
    store: DocumentStore = InMemoryStore()
    hashes: DocumentHashes = InMemoryHashes()
    fetcher: PageFetcher = FakeFetcher({"https://example.com/p.pdf": b"%PDF"})
    scheduler: DeliveryScheduler = RecordingScheduler()
    sender: WebhookSender = ScriptedSender(503)
    assert engine.status("arn:never-started") == "missing"
    assert plans.tiers() == ["high-volume", "standard"]
    assert failures.count("203.0.113.9", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == 0
    assert box.open(box.seal("s", {"t": "1"}), {"t": "1"}) == "s"
    assert store.size("nothing") is None
    assert hashes.record("t", "sha", "case-1", "doc-1", 1, 0) == []
    assert fetcher.fetch("https://example.com/p.pdf", 10) == b"%PDF"
    assert sender.send("https://example.com/hook", b"{}", {}).status_code == 503
    assert scheduler is not None
    assert transactions.get("t", "tx-1") is None


def test_the_ongoing_screening_fakes_are_its_ports() -> None:
    deps = monitoring_deps()
    as_screening: OngoingScreeningDeps = deps
    as_rescreen: FullRescreenDeps = deps
    rescreens: FullRescreens = InMemoryRescreens()
    manifests: RescreenManifests = InMemoryManifests()
    assert as_rescreen.manifests is deps.manifests
    assert rescreens.running("watchlists/default/targets.simple.csv") is None
    assert manifests.put("r-1", []) == "monitoring/rescreens/r-1.json"
    lists: WatchlistSource = InMemoryWatchlists()
    fingerprints: ListFingerprints = InMemoryFingerprints()
    assert as_screening.monitored is deps.monitored
    assert lists.exists("watchlists/default/targets.simple.csv") is False
    assert fingerprints.get("watchlists/default/targets.simple.csv") is None
