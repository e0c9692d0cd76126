"""What template.yaml promises about who may do what: read from the template itself (moto enforces neither key
policies nor most of CORS, so these promises are checked where they are made)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from arbiter_local.cfn import Resolver, load_template
from arbiter_local.provision import LOCAL_PSEUDO_PARAMETERS
from arbiter_local.stack import PROJECT_ROOT

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
RESOURCES = TEMPLATE.resources


def statements(key: str) -> list[dict[str, Any]]:
    return list(RESOURCES[key]["Properties"]["KeyPolicy"]["Statement"])


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def principals(statement: dict[str, Any]) -> list[Any]:
    named = statement["Principal"]["AWS"]
    return named if isinstance(named, list) else [named]


def test_the_secrets_key_rotates_and_outlives_the_stack() -> None:
    key = RESOURCES["SecretsKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_only_the_webhooks_function_may_decrypt() -> None:
    decrypting = [
        s for s in statements("SecretsKey") if any(a in ("kms:Decrypt", "kms:*") for a in actions(s))
    ]
    assert [principals(s) for s in decrypting] == [[{"Fn::GetAtt": ["WebhooksFunctionRole", "Arn"]}]]
    for statement in statements("SecretsKey"):
        assert "kms:CreateGrant" not in actions(statement)  # a grant could hand Decrypt to anyone
        assert not any(a.startswith("kms:Create") or a == "kms:*" for a in actions(statement))
        assert "NotAction" not in statement


def test_every_use_of_the_key_names_a_tenant_as_encryption_context() -> None:
    for statement in statements("SecretsKey"):
        if {"kms:Encrypt", "kms:Decrypt"} & set(actions(statement)):
            assert statement["Condition"] == {"Null": {"kms:EncryptionContext:tenant_id": "false"}}


def test_the_functions_told_the_key_are_the_ones_its_policy_names() -> None:
    told = {
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "SECRETS_KEY_ID" in resource["Properties"].get("Environment", {}).get("Variables", {})
    }
    named = {
        principal["Fn::GetAtt"][0].removesuffix("Role")
        for statement in statements("SecretsKey")
        for principal in principals(statement)
        if isinstance(principal, dict) and "Fn::GetAtt" in principal
    }
    assert told == named == {"WebhooksFunction", "ReviewActionsFunction"}


def test_the_tenant_claim_is_immutable_unless_an_older_pool_needs_it_kept() -> None:
    (attribute,) = RESOURCES["ReviewerPool"]["Properties"]["Schema"]
    assert attribute["Name"] == "tenant_id"
    assert attribute["Mutable"] == {"Fn::If": ["KeepsMutableTenantClaim", True, False]}
    assert TEMPLATE.parameters["ExistingPoolMutableTenantClaim"]["Default"] == "false"
    client = RESOURCES["ReviewerPoolClient"]["Properties"]
    assert "custom:tenant_id" not in client["WriteAttributes"]
    assert (
        RESOURCES["ReviewerPool"]["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    )


DISTRIBUTION = "d111111abcdef8.cloudfront.net"


def resolved(parameters: dict[str, str]) -> Resolver:
    """The template's values for these parameters, with the CloudFront distribution's domain as AWS gives it."""

    def attribute(logical_id: str, name: str) -> str:
        assert (logical_id, name) == ("BackofficeDistribution", "DomainName")
        return DISTRIBUTION

    return Resolver(
        TEMPLATE,
        parameters=parameters,
        pseudo=LOCAL_PSEUDO_PARAMETERS,
        physical_id=lambda logical_id: logical_id,
        attribute=attribute,
    )


def origins(resolver: Resolver) -> dict[str, Any]:
    """Every place the template names the origins browsers may come from."""
    api = RESOURCES["ApiGateway"]["Properties"]
    return {
        "preflight": resolver.resolve(api["Cors"]["AllowOrigin"]),
        "gateway errors": {
            kind: resolver.resolve(answer["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"])
            for kind, answer in api["GatewayResponses"].items()
        },
        "functions": {
            name: resolver.resolve(
                RESOURCES[name]["Properties"]["Environment"]["Variables"]["CORS_ALLOWED_ORIGIN"]
            )
            for name in ("RunWorkflowFunction", "ReviewActionsFunction", "WebhooksFunction")
        },
        "bucket": resolver.resolve(RESOURCES["DocumentsBucket"]["Properties"]["CorsConfiguration"])[
            "CorsRules"
        ],
    }


def test_by_default_only_the_stacks_own_back_office_is_an_allowed_origin() -> None:
    allowed = origins(resolved({}))
    backoffice = f"https://{DISTRIBUTION}"
    assert allowed["preflight"] == f"'{backoffice}'"
    # Every answer of API Gateway's own: the defaults and the customised refusals (401, 429) alike.
    assert allowed["gateway errors"] == {
        kind: f"'{backoffice}'"
        for kind in (
            "DEFAULT_4XX",
            "DEFAULT_5XX",
            "UNAUTHORIZED",
            "ACCESS_DENIED",
            "THROTTLED",
            "QUOTA_EXCEEDED",
        )
    }
    assert set(allowed["functions"].values()) == {backoffice}
    (rule,) = allowed["bucket"]
    # the back office reads pages; the collection site, on the same origin, uploads applicants' documents
    assert (rule["AllowedOrigins"], rule["AllowedMethods"]) == ([backoffice], ["GET", "POST"])
    assert "*" not in json.dumps(allowed).replace('"AllowedHeaders": ["*"]', "")


def test_an_operator_names_the_back_office_origin_and_the_integrators_upload_pages() -> None:
    allowed = origins(
        resolved(
            {
                "BackofficeOrigin": "https://review.acme.example",
                "DocumentsUploadOrigins": "https://onboarding.acme.example,https://app.acme.example:8443",
            }
        )
    )
    assert allowed["preflight"] == "'https://review.acme.example'"
    assert set(allowed["functions"].values()) == {"https://review.acme.example"}
    reads, uploads = allowed["bucket"]
    assert reads["AllowedOrigins"] == ["https://review.acme.example"]
    assert uploads["AllowedOrigins"] == ["https://onboarding.acme.example", "https://app.acme.example:8443"]
    assert uploads["AllowedMethods"] == ["POST", "PUT"]


@pytest.mark.parametrize(
    ("parameters", "site"),
    [({}, f"https://{DISTRIBUTION}/collect/"), ({"BackofficeOrigin": "https://review.acme.example"}, None)],
)
def test_collection_links_point_at_the_collection_site_under_the_back_offices_origin(
    parameters, site
) -> None:
    resolver = resolved(parameters)
    expected = site or f"{parameters['BackofficeOrigin']}/collect/"
    for name in ("RunWorkflowFunction", "ReviewActionsFunction"):  # the functions that issue links
        variables = RESOURCES[name]["Properties"]["Environment"]["Variables"]
        assert resolver.resolve(variables["COLLECTION_SITE_URL"]) == expected
    behaviors = RESOURCES["BackofficeDistribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
    assert [b["PathPattern"] for b in behaviors] == ["/collect/*"]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("https://review.acme.example", True),
        ("http://127.0.0.1:3000", True),
        ("*", False),
        ("https://*.acme.example", False),
        ("https://review.acme.example/", False),
        ("review.acme.example", False),
        ("https://a.example,https://b.example", False),
    ],
)
def test_the_back_office_origin_is_one_origin_never_a_wildcard(value: str, accepted: bool) -> None:
    pattern = TEMPLATE.parameters["BackofficeOrigin"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_no_function_logs_the_events_it_receives() -> None:
    """Events carry bearer tokens, API keys, bodies and page bytes: powertools logs them only when asked to."""
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::Serverless::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert "POWERTOOLS_LOGGER_LOG_EVENT" not in variables, name
            code = (PROJECT_ROOT / resource["Properties"]["CodeUri"] / "app.py").read_text(encoding="utf-8")
            assert "log_event" not in code, name


def test_the_api_access_log_names_no_header_query_or_body() -> None:
    line = RESOURCES["ApiGateway"]["Properties"]["AccessLogSetting"]["Format"]
    fields = set(re.findall(r"\$context\.([A-Za-z.]+)", line))
    assert fields == {
        "requestId",
        "identity.sourceIp",
        "httpMethod",
        "path",
        "status",
        "responseLatency",
        # The authorizer's verdict (which tenant, how long it took) and why API Gateway refused, if it did.
        "authorizer.tenant",
        "authorizer.integrationLatency",
        "error.responseType",
    }


def _ses_statements(function: str) -> list[dict[str, Any]]:
    found = []
    for policy in RESOURCES[function]["Properties"].get("Policies", []):
        branches = policy["Fn::If"][1:] if isinstance(policy, dict) and "Fn::If" in policy else [policy]
        for branch in branches:
            for statement in branch.get("Statement", []) if isinstance(branch, dict) else []:
                if any(a.startswith("ses:") for a in actions(statement)):
                    found.append({**statement, "condition": policy.get("Fn::If", [None])[0]})
    return found


def test_only_the_api_functions_send_email_and_only_from_the_stacks_identity() -> None:
    sending = {
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function" and _ses_statements(name)
    }
    assert sending == {"RunWorkflowFunction", "ReviewActionsFunction"}
    for name in sending:
        (statement,) = _ses_statements(name)
        assert (actions(statement), statement["condition"]) == (["ses:SendEmail"], "HasEmailIdentity")
        resource = statement["Resource"]["Fn::Sub"]
        assert resource.endswith(":identity/${EmailIdentity}"), resource
    identity = RESOURCES["ApplicantEmailIdentity"]
    assert identity["Condition"] == "HasEmailIdentity"
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "EmailIdentity"}
    assert TEMPLATE.parameters["EmailIdentity"]["Default"] == ""  # no identity, no e-mail, unless asked


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("example.com", True),
        ("applications@mail.example.com", True),
        ("not a domain", False),
        ("a@b", False),
        ("*.example.com", False),
    ],
)
def test_the_email_identity_is_a_domain_or_one_address(value: str, accepted: bool) -> None:
    pattern = TEMPLATE.parameters["EmailIdentity"]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) == accepted
