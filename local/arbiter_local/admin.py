"""Operator commands for a deployed stack (or the local one): tenants, API keys, reviewer accounts.

    python -m arbiter_local.admin --stack-name arbiter create-tenant acme --name "Acme Payments" [--tier standard]
    python -m arbiter_local.admin --stack-name arbiter issue-key acme --label production
    python -m arbiter_local.admin --stack-name arbiter add-reviewer ana@acme.example --tenant acme --role reviewer
    python -m arbiter_local.admin --stack-name arbiter set-setting acme allow_integrator_decisions true
    python -m arbiter_local.admin --stack-name arbiter set-tier acme high-volume
    python -m arbiter_local.admin --stack-name arbiter tiers

The stack's table, user pool and API come from its CloudFormation outputs (`--stack-name`, with the usual AWS
credentials and region), or from a running local stack (`--local http://127.0.0.1:3000`, which reads them from
/health). The commands go through the same services and adapters as the functions. A tenant's tier is a usage
plan of the API's stage (docs/operations.md, "Limits"): `create-tenant` gives the tenant an API Gateway key of its
own in one, `set-tier` moves it (or gives one to a tenant created without).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

from arbiter.adapters.apigateway import ApiGatewayUsagePlans
from arbiter.adapters.dynamodb import DynamoTenantRepository
from arbiter.adapters.kms import KmsSecretBox
from arbiter.domain.errors import ArbiterError
from arbiter.domain.principal import ROLES
from arbiter.domain.tenant import DEFAULT_TIER
from arbiter.services import tenants as tenant_services

__all__ = ["StackTarget", "main"]


@dataclass(frozen=True)
class StackTarget:
    """Where the stack's resources are: its outputs and, locally, the AWS endpoint."""

    outputs: dict[str, str]
    endpoint_url: str | None = None
    region: str | None = None

    def client(self, service: str) -> Any:
        # boto3-stubs type a client by its literal service name; this one is chosen at run time.
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region)  # type: ignore[call-overload]

    def usage_plans(self) -> ApiGatewayUsagePlans:
        """The API stage's usage plans (the tiers)."""
        return ApiGatewayUsagePlans(self.client("apigateway"), self.output("ApiId"), self.output("ApiStage"))

    def secret_box(self) -> KmsSecretBox:
        """Seals a tenant's shared secret with the stack's key (output SecretsKeyArn), as the functions do."""
        return KmsSecretBox(lambda: self.client("kms"), self.output("SecretsKeyArn"))

    def output(self, name: str) -> str:
        if not self.outputs.get(name):
            raise SystemExit(f"arbiter-admin: the stack has no output {name}; is it an Arbiter stack?")
        return self.outputs[name]

    @classmethod
    def from_cloudformation(cls, stack_name: str, region: str | None) -> StackTarget:
        cloudformation = boto3.client("cloudformation", region_name=region)
        try:
            stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        except cloudformation.exceptions.ClientError as exc:
            raise SystemExit(f"arbiter-admin: stack {stack_name}: {exc}") from exc
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return cls(outputs=outputs, region=region)

    @classmethod
    def from_local(cls, api_url: str) -> StackTarget:
        try:
            health = httpx.get(f"{api_url.rstrip('/')}/health", timeout=10).raise_for_status().json()
        except httpx.HTTPError as exc:
            raise SystemExit(f"arbiter-admin: no local stack answers at {api_url}: {exc}") from exc
        return cls(
            outputs={k: str(v) for k, v in health["outputs"].items()},
            endpoint_url=health["endpoints"]["aws"],
            region="us-east-1",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arbiter-admin", description="Manage tenants, API keys and reviewers."
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack-name", help="the deployed CloudFormation stack")
    where.add_argument("--local", metavar="API_URL", help="a running local stack, e.g. http://127.0.0.1:3000")
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    commands = parser.add_subparsers(dest="command", required=True)

    tenant = commands.add_parser("create-tenant", help="create a tenant and print its first API key")
    tenant.add_argument("tenant_id")
    tenant.add_argument("--name", required=True)
    tenant.add_argument("--tier", default=DEFAULT_TIER, help=f"its usage plan (default: {DEFAULT_TIER})")

    tier = commands.add_parser("set-tier", help="put a tenant in another tier (usage plan)")
    tier.add_argument("tenant_id")
    tier.add_argument("tier", help="standard, high-volume, or a plan of your own on the API's stage")

    commands.add_parser("tiers", help="list the tiers (the usage plans of the API's stage)")

    key = commands.add_parser("issue-key", help="issue another API key for a tenant (shown once)")
    key.add_argument("tenant_id")
    key.add_argument("--label", default="")

    setting = commands.add_parser(
        "set-setting", help="change one of a tenant's settings (a JSON value, or else text)"
    )
    setting.add_argument("tenant_id")
    setting.add_argument("name", help="e.g. allow_integrator_decisions, allow_multiple_active_cases")
    setting.add_argument("value", help='e.g. true, 30, null, \'{"kyb-onboarding": "kyb"}\'')

    reviewer = commands.add_parser("add-reviewer", help="create a reviewer account in the user pool")
    reviewer.add_argument("email")
    reviewer.add_argument("--tenant", required=True)
    reviewer.add_argument("--role", choices=ROLES, default="reviewer")
    reviewer.add_argument(
        "--password",
        help="a permanent password (local stack); without it Cognito e-mails a temporary one",
    )
    return parser


def run(args: argparse.Namespace, target: StackTarget) -> str:
    """Carry out one command; the line to print."""
    repository = DynamoTenantRepository(
        target.client("dynamodb"), target.output("TableName"), secrets=target.secret_box()
    )
    if args.command == "create-tenant":
        tenant_services.create_tenant(
            repository, args.tenant_id, args.name, usage_plans=target.usage_plans(), tier=args.tier
        )
        key = tenant_services.issue_api_key(repository, args.tenant_id, label="first key")
        return f"tenant {args.tenant_id} created in tier {args.tier}; API key (shown once): {key}"
    if args.command == "set-tier":
        tenant_services.change_tier(repository, target.usage_plans(), args.tenant_id, args.tier)
        return f"tenant {args.tenant_id}: tier {args.tier}"
    if args.command == "tiers":
        return "\n".join(target.usage_plans().tiers())
    if args.command == "issue-key":
        key = tenant_services.issue_api_key(repository, args.tenant_id, label=args.label)
        return f"API key for {args.tenant_id} (shown once): {key}"
    if args.command == "set-setting":
        tenant = tenant_services.change_setting(
            repository, args.tenant_id, args.name, _setting_value(args.value)
        )
        shown = "(set)" if "secret" in args.name else json.dumps(getattr(tenant.settings, args.name))
        return f"tenant {args.tenant_id}: {args.name} = {shown}"
    if repository.get(args.tenant) is None:
        raise SystemExit(f"arbiter-admin: tenant {args.tenant} does not exist")
    cognito = target.client("cognito-idp")
    pool = target.output("UserPoolId")
    extra = {"MessageAction": "SUPPRESS"} if args.password else {}
    try:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=args.email,
            UserAttributes=[
                {"Name": "email", "Value": args.email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:tenant_id", "Value": args.tenant},
            ],
            **extra,
        )
        if args.password:
            cognito.admin_set_user_password(
                UserPoolId=pool, Username=args.email, Password=args.password, Permanent=True
            )
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=args.email, GroupName=args.role)
    except cognito.exceptions.UsernameExistsException as exc:
        raise SystemExit(f"arbiter-admin: {args.email} already has an account") from exc
    except cognito.exceptions.InvalidPasswordException as exc:
        raise SystemExit(f"arbiter-admin: {exc.response['Error']['Message']}") from exc
    how = "with the given password" if args.password else "a temporary password is on its way by e-mail"
    return f"reviewer {args.email} ({args.role}, tenant {args.tenant}) created; {how}"


def _setting_value(text: str) -> object:
    """A setting's value as typed: JSON (`true`, `30`, `null`, an object), or else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.local:
        target = StackTarget.from_local(args.local)
    else:
        target = StackTarget.from_cloudformation(args.stack_name, args.region)
    try:
        print(run(args, target))
    except ArbiterError as exc:
        print(f"arbiter-admin: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
