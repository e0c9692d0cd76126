r"""The table's key layout, in one place. Every key of tenant data starts with the tenant id.

| item | pk | sk |
|---|---|---|
| tenant | `TENANT#{t}` | `TENANT` |
| API key | `APIKEY#{sha256}` | `APIKEY` |
| collection link (by its token's SHA-256; expires) | `COLLECTLINK#{sha256}` | `COLLECTLINK` |
| a collection journey's step data (one item per step) | `TENANT#{t}#COLLECTED#{case}` | `STEP#{step}` |
| failed authentications of a source in a window (expires) | `AUTHFAIL#{ip}#{window start}` | `AUTHFAIL` |
| case | `TENANT#{t}#CASE#{case}` | `CASE` |
| audit entry, or a change's several in one item (hash-chained: `seq`, `hash`; the change's events and continuations ride on it when they fit one KB) | `TENANT#{t}#CASE#{case}` | `AUDIT#{time}#{id}` (the first entry's) |
| the case's latest anchor in a daily audit digest | `TENANT#{t}#CASE#{case}` | `ANCHOR` |
| a tenant's daily audit digest (its S3 key and SHA-256) | `TENANT#{t}#AUDITDIGEST` | `{date}` |
| outbox event | `TENANT#{t}#CASE#{case}` | `EVENT#{time}#{id}` |
| workflow continuation that did not fit its change's audit item (expires) | `TENANT#{t}#CASE#{case}` | `CONT#{time}#{id}` |
| check result (a check's own write) | `TENANT#{t}#CASE#{case}` | `CHECK#{name}` |
| check results written together, packed (`check_results.py`) | `TENANT#{t}#CASE#{case}` | `CHECKS#{digest of their names}` |
| search term | `TENANT#{t}#SEARCH` | `{term}#{case}` |
| state counters | `TENANT#{t}#COUNTS` | `SHARD#{n}` |
| round-robin assignment: cases a queue handed out | `TENANT#{t}#ROUNDROBIN` | `{workflow}` |
| rule set (latest and published version) | `TENANT#{t}#RULESET#{id}` | `RULESET` |
| rule set version (immutable content) | `TENANT#{t}#RULESET#{id}` | `VERSION#{v:06d}` |
| screening clearance | `TENANT#{t}#SCREENED#{party key}` | `CLEARED#{list entry id}` |
| monitored entity (ongoing screening: what screening reads of an approved customer) | `TENANT#{t}#MONITORED` | `{entity key}` |
| webhook subscription | `TENANT#{t}#WEBHOOK#{id}` | `WEBHOOK` |
| webhook routes (the event types the tenant's subscriptions want; written with the tenant, widened with each subscription) | `TENANT#{t}#WEBHOOKROUTES` | `ROUTES` |
| webhook delivery | `TENANT#{t}#DELIVERY#{id}` | `DELIVERY` |
| delivery attempt | `TENANT#{t}#DELIVERY#{id}` | `ATTEMPT#{round}#{number}` |
| delivery outbox event | `TENANT#{t}#DELIVERY#{id}` | `EVENT#{time}#{id}` |
| transaction (its decision; the idempotency marker of its id) | `TENANT#{t}#TX#{id}` | `TX` |
| transaction batch (as accepted) | `TENANT#{t}#BATCH#{batch}` | `BATCH` |
| a batch's repeat or failure (one per transaction id) | `TENANT#{t}#BATCH#{batch}` | `TX#{transaction id}` |
| a batch's transactions decided by one invocation of the scoring function (up to ten) | `TENANT#{t}#BATCH#{batch}` | `DECIDED#{hash of their ids}` |
| a tenant's batch transactions of a day, decided by one invocation (backtests) | `TENANT#{t}#TXDAY#{day}` | `{earliest time}#{hash of their ids}` |
| customer's monitoring profile (its buckets, its and its countries' first/last seen) | `TENANT#{t}#CUSTOMER#{customer}` | `PROFILE` |
| customer's transaction bucket (before profiles; expires) | `TENANT#{t}#CUSTOMER#{customer}` | `B#C#{M\|H\|D}#{bucket start}` |
| customer + counterparty daily bucket (expires) | `TENANT#{t}#CUSTOMER#{customer}` | `B#P#{counterparty key}#D#{day}` |
| customer + counterparty country daily bucket (expires) | `TENANT#{t}#CUSTOMER#{customer}` | `B#K#{country}#D#{day}` |
| first/last seen: counterparty (customer and country before profiles) | `TENANT#{t}#CUSTOMER#{customer}` | `SEEN#P#{key}` (`SEEN#C`, `SEEN#K#{country}`) |
| alert | `TENANT#{t}#ALERT#{id}` | `ALERT` |
| a transaction on an alert (the one that opened it, and each that joined it) | `TENANT#{t}#ALERT#{id}` | `TX#{transaction id}` |
| customer's open alert of a scenario (its id; the dedup marker) | `TENANT#{t}#CUSTOMER#{customer}` | `OPEN_ALERT#{scenario}` |
| alert outbox event | `TENANT#{t}#ALERT#{id}` | `EVENT#{time}#{id}` |
| alert history entry (assignment, note, disposition) | `TENANT#{t}#ALERT#{id}` | `AUDIT#{time}#{id}` |
| monitoring backtest job (its request, status and result; expires) | `TENANT#{t}#BACKTEST#{id}` | `BACKTEST` |

Index keys on a case item (see template.yaml for the indexes):

| index | partition | sort |
|---|---|---|
| ByStatus | `T#{t}#S#{state}` | `{created}#{case}` |
| ByAssignee | `T#{t}#A#{reviewer}` | `{state}#{created}#{case}` |
| ByWorkflow | `T#{t}#W#{workflow}` | `{created}#{case}` (before: `{state}#{created}#{case}`, still read) |
| ByEntity | `T#{t}#E#{entity id}` | `{workflow}#{created}#{case}` |
| ByTenant | `T#{t}#CASE` | `{created}#{case}` |
| ByTenant (rule sets) | `T#{t}#RULESET` | `{rule set id}` |
| ByTenant (alerts) | `T#{t}#ALERT` | `{created}#{alert}` |
| ByEntity (a customer's transactions) | `T#{t}#CUSTTX#{customer}` | `{time}#{transaction}` |
| ByWorkflow (a tenant's transactions of a day sent one at a time, keys only: backtests) | `T#{t}#TXDAY#{day}` | `{time}#{transaction}` |
| ByStatus (a batch's decided transactions, before the scoring function's own entries; keys only) | `T#{t}#BATCH#{batch}` | `{decision}#{O\|J\|N}#{transaction}` |
| ByTenant (a case's collection links) | `T#{t}#COLLECTLINK#{case}` | `{created}#{link}` |
| ByAuditDay (cases whose audit chain moved that day) | `{date}#{shard}` | `pk` (the case's table key) |

Webhook items use two of the same indexes with partitions of their own:

| item | index | partition | sort |
|---|---|---|---|
| subscription | ByTenant | `T#{t}#WEBHOOK` (case-scoped: `T#{t}#WEBHOOK#CASE#{case}`) | `{created}#{id}` |
| delivery | ByTenant | `T#{t}#DELIVERY#{subscription}` | `{created}#{id}` |
| delivery | ByEntity | `T#{t}#CASEDELIVERY#{case}` | `{created}#{id}` |
"""

from __future__ import annotations

import datetime as dt
import hashlib

TENANT_SK = "TENANT"
API_KEY_SK = "APIKEY"
COLLECTION_LINK_SK = "COLLECTLINK"
AUTH_FAILURES_SK = "AUTHFAIL"
CASE_SK = "CASE"
AUDIT_PREFIX = "AUDIT#"
#: Sorts before `AUDIT#` and `CASE`: the verifier reads anchor, entries and case in one range.
ANCHOR_SK = "ANCHOR"
EVENT_PREFIX = "EVENT#"
CONTINUATION_PREFIX = (
    "CONT#"  # the outbox's workflow continuations (ContinueWorkflowsFunction's stream filter)
)
CHECK_PREFIX = "CHECK#"
CHECKS_PREFIX = "CHECKS#"  # several check results in one packed item
RUN_PREFIX = "RUN#"  # which execution claimed an automated run (`claim_run`)
VERSION_PREFIX = "VERSION#"
CLEARED_PREFIX = "CLEARED#"
WEBHOOK_SK = "WEBHOOK"
#: The event types a tenant's subscriptions want (the publisher's routing, `WebhookRoutes`).
WEBHOOK_ROUTES_SK = "ROUTES"
#: A subscription's audit entries, beside it: `WEBHOOKCHANGE#<time>#<id>` (kept when it is deleted).
WEBHOOK_CHANGE_PREFIX = "WEBHOOKCHANGE#"
DELIVERY_SK = "DELIVERY"
ATTEMPT_PREFIX = "ATTEMPT#"
COUNTER_SHARDS = 8
TRANSACTION_SK = "TX"
BATCH_SK = "BATCH"
BATCH_ENTRY_PREFIX = "TX#"
BATCH_DECIDED_PREFIX = "DECIDED#"
ALERT_SK = "ALERT"
BACKTEST_JOB_SK = "BACKTEST"
BUCKET_PREFIX = "B#"
PROFILE_SK = "PROFILE"
SEEN_PREFIX = "SEEN#"
#: The sort key letter of each monitoring dimension (buckets and markers).
DIMENSION_CODES = {"customer": "C", "counterparty": "P", "country": "K"}


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def webhook_routes_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#WEBHOOKROUTES"


def api_key_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def collection_link_pk(token_hash: str) -> str:
    return f"COLLECTLINK#{token_hash}"


def collected_pk(tenant_id: str, case_id: str) -> str:
    """The partition of the step data an applicant saved on a case (apart from the case's own partition)."""
    return f"TENANT#{tenant_id}#COLLECTED#{case_id}"


def case_collection_links_pk(tenant_id: str, case_id: str) -> str:
    """ByTenant partition of one case's collection links."""
    return f"T#{tenant_id}#COLLECTLINK#{case_id}"


def auth_failures_pk(source: str, window: dt.datetime) -> str:
    """One source address's failed authentications in the window starting at `window`."""
    return f"AUTHFAIL#{source}#{window.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def tenant_index_pk(tenant_id: str, kind: str) -> str:
    """ByTenant index partition: everything of one `kind` in a tenant."""
    return f"T#{tenant_id}#{kind}"


def case_pk(tenant_id: str, case_id: str) -> str:
    return f"TENANT#{tenant_id}#CASE#{case_id}"


def audit_digests_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#AUDITDIGEST"


def search_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#SEARCH"


def counters_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#COUNTS"


def round_robin_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#ROUNDROBIN"


def round_robin_claim_sk(queue: str, claim: str) -> str:
    """The item recording which turn an event (`claim`: its id) took in a queue (a copy reads it back)."""
    return f"CLAIM#{queue}#{claim}"


def timestamp(at: dt.datetime) -> str:
    """Sortable UTC time with microseconds: the sort key prefix of time-ordered items."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def status_pk(tenant_id: str, state: str) -> str:
    return f"T#{tenant_id}#S#{state}"


def assignee_pk(tenant_id: str, reviewer_id: str) -> str:
    return f"T#{tenant_id}#A#{reviewer_id}"


def workflow_pk(tenant_id: str, workflow_id: str) -> str:
    return f"T#{tenant_id}#W#{workflow_id}"


def entity_pk(tenant_id: str, entity_id: str) -> str:
    return f"T#{tenant_id}#E#{entity_id}"


def versioned_pk(tenant_id: str, kind: str, document_id: str) -> str:
    """The partition of one versioned document (`kind` RULESET or WORKFLOW): its summary item (sort key `kind`)
    and its versions (`version_sk`)."""
    return f"TENANT#{tenant_id}#{kind}#{document_id}"


def rule_set_pk(tenant_id: str, rule_set_id: str) -> str:
    return versioned_pk(tenant_id, "RULESET", rule_set_id)


def version_sk(version: int) -> str:
    return f"{VERSION_PREFIX}{version:06d}"


def screened_party_pk(tenant_id: str, party_key: str) -> str:
    """The partition of one screened party's clearances (see arbiter.screening.parties for the key)."""
    return f"TENANT#{tenant_id}#SCREENED#{party_key}"


def monitored_pk(tenant_id: str) -> str:
    """The partition of a tenant's monitored entities, one item each (read whole by a list update)."""
    return f"TENANT#{tenant_id}#MONITORED"


def webhook_pk(tenant_id: str, subscription_id: str) -> str:
    return f"TENANT#{tenant_id}#WEBHOOK#{subscription_id}"


def delivery_pk(tenant_id: str, delivery_id: str) -> str:
    return f"TENANT#{tenant_id}#DELIVERY#{delivery_id}"


def case_deliveries_pk(tenant_id: str, case_id: str) -> str:
    """ByEntity partition of a case's webhook deliveries (apart from entity look-ups: `E#` vs `CASEDELIVERY#`)."""
    return f"T#{tenant_id}#CASEDELIVERY#{case_id}"


def transaction_pk(tenant_id: str, transaction_id: str) -> str:
    return f"TENANT#{tenant_id}#TX#{transaction_id}"


def customer_pk(tenant_id: str, customer_id: str) -> str:
    """The partition of a customer's monitoring history: its buckets and first/last-seen markers."""
    return f"TENANT#{tenant_id}#CUSTOMER#{customer_id}"


def _dimension(dimension: str, key: str) -> str:
    code = DIMENSION_CODES[dimension]
    return code if dimension == "customer" else f"{code}#{key}"


def bucket_sk(dimension: str, key: str, granularity: str, start: str) -> str:
    """`B#C#H#2026-12-06T10` (the customer's hour), `B#P#<counterparty key>#D#2026-12-06`…"""
    return f"{BUCKET_PREFIX}{_dimension(dimension, key)}#{granularity}#{start}"


def open_alert_sk(scenario: str) -> str:
    """`OPEN_ALERT#<rule id>`: under the customer, the id of its open alert of that scenario (one at most)."""
    return f"OPEN_ALERT#{scenario}"


def alert_transaction_sk(transaction_id: str) -> str:
    """`TX#<transaction id>`: under an alert, one of its transactions."""
    return f"TX#{transaction_id}"


def seen_sk(dimension: str, key: str) -> str:
    """`SEEN#C` (the customer), `SEEN#P#<counterparty key>`, `SEEN#K#<country>`."""
    return f"{SEEN_PREFIX}{_dimension(dimension, key)}"


def customer_transactions_index_pk(tenant_id: str, customer_id: str) -> str:
    """ByEntity partition of a customer's transactions (the investigation view's timeline)."""
    return f"T#{tenant_id}#CUSTTX#{customer_id}"


def backtest_job_pk(tenant_id: str, job_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#BACKTEST#{job_id}"


def alert_pk(tenant_id: str, alert_id: str) -> str:
    return f"TENANT#{tenant_id}#ALERT#{alert_id}"


def batch_pk(tenant_id: str, batch_id: str) -> str:
    """The partition of a transaction batch: the batch and its repeat and failure entries."""
    return f"TENANT#{tenant_id}#BATCH#{batch_id}"


def batch_index_pk(tenant_id: str, batch_id: str) -> str:
    """ByStatus partition of a batch's decided transactions."""
    return f"T#{tenant_id}#BATCH#{batch_id}"


def transaction_day_pk(tenant_id: str, day: str) -> str:
    """The partition of a tenant's batch transactions whose time is on `day`, as the scoring function lists them."""
    return f"TENANT#{tenant_id}#TXDAY#{day}"


def ids_hash(ids: list[str]) -> str:
    """A short key for a set of ids (the same set, in any order, gives the same key)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:20]


def transaction_day_index_pk(tenant_id: str, day: str) -> str:
    """ByWorkflow partition of a tenant's transactions whose time is on `day` (`2026-12-06`, UTC)."""
    return f"T#{tenant_id}#TXDAY#{day}"
