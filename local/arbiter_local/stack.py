"""The whole system on one machine: moto, the provisioned template, the handlers, the API stand-in."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, make_server

from arbiter_local.authorizers import LambdaAuthorizer
from arbiter_local.cfn import load_template
from arbiter_local.cognito_rules import CognitoRules
from arbiter_local.gateway import Gateway
from arbiter_local.gateway_responses import GatewayResponses
from arbiter_local.moto_bridge import MotoBridge
from arbiter_local.provision import REGION, Provisioned, Provisioner, default_client_factory
from arbiter_local.queue_pollers import QueuePoller
from arbiter_local.runtime import LambdaRuntime
from arbiter_local.usage_plans import UsagePlans

__all__ = ["LocalStack", "PortInUse", "StackConfig"]

log = logging.getLogger("arbiter_local")

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: The SES identity (a domain) the local stack sends applicants' e-mail from; the demo tenant's sender is at it.
DEMO_EMAIL_DOMAIN = "arbiter.example"

# Template parameters the local stack sets: outbound HTTP may reach this machine (tests' vendors, webhooks); e-mail
# to applicants goes from the demo's domain (moto's SES keeps every message: `GET /mail` lists them).
LOCAL_PARAMETERS = {
    "Stage": "local",
    "AllowedEgressHosts": "127.0.0.1,localhost",
    "LogLevel": "INFO",
    "EmailIdentity": DEMO_EMAIL_DOMAIN,
}


class PortInUse(Exception):
    """A port the stack needs is taken."""

    def __init__(self, port: int, what: str) -> None:
        super().__init__(
            f"port {port} ({what}) is already in use: stop what runs there or choose another port"
        )
        self.port = port


@dataclass
class StackConfig:
    """Where things listen and what to load."""

    api_port: int = 3000
    moto_port: int = 5000
    host: str = "127.0.0.1"
    template: Path = PROJECT_ROOT / "template.yaml"
    site_dir: Path = PROJECT_ROOT / "backoffice" / "dist"
    collection_dir: Path = PROJECT_ROOT / "collection" / "dist"
    parameters: dict[str, str] = field(default_factory=lambda: dict(LOCAL_PARAMETERS))
    seed: bool = True
    #: Also start a few sample cases once the API is up (`make demo`), so the back office has a queue to show.
    sample_cases: bool = False


def ensure_free(host: str, port: int, what: str) -> None:
    """Raise PortInUse unless `port` can be bound on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers bind (SO_REUSEADDR): a stack stopped a moment ago leaves connections in TIME_WAIT,
        # which must not stop it from starting again; a port something listens on is still refused.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(port, what) from exc


class LocalStack:
    """Start with `start()`, stop with `stop()`; usable as a context manager."""

    def __init__(
        self, config: StackConfig | None = None, progress: Callable[[str], None] | None = None
    ) -> None:
        self.config = config or StackConfig()
        self.progress = progress or (lambda message: log.info(message))
        self.provisioned: Provisioned | None = None
        self.runtime: LambdaRuntime | None = None
        self.bridge: MotoBridge | None = None
        self.cognito_rules: CognitoRules | None = None
        self.seeded: dict[str, Any] = {}
        self._moto: ThreadedMotoServer | None = None
        self._http: BaseWSGIServer | None = None
        self._http_thread: threading.Thread | None = None
        self.client: Callable[[str], Any] | None = None
        self.gateway: Gateway | None = None
        #: One per SQS event source of the template (Lambda's poller; moto's would invoke inside SendMessage).
        self.queue_pollers: list[QueuePoller] = []

    # ------------------------------------------------------------------ addresses
    @property
    def moto_url(self) -> str:
        return f"http://{self.config.host}:{self.config.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.api_port}"

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start moto, provision the template, install the bridge, seed, and serve the API."""
        cfg = self.config
        ensure_free(cfg.host, cfg.moto_port, "AWS services (moto)")
        ensure_free(cfg.host, cfg.api_port, "API and back office")
        self._set_process_environment()
        self.progress(f"starting AWS services (moto) on {self.moto_url}")
        self._moto = ThreadedMotoServer(ip_address=cfg.host, port=cfg.moto_port, verbose=False)
        self._moto.start()
        # The Step Functions interpreter runs the ASL for real only when asked to.
        httpx.post(
            f"{self.moto_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        self.client = default_client_factory(self.moto_url)
        # Who may write a reviewer's attributes (their tenant above all), as Cognito decides it.
        self.cognito_rules = CognitoRules()
        self.cognito_rules.install()

        self.progress(f"provisioning {cfg.template.name}")
        template = load_template(cfg.template)
        # The back office is served beside the API: its origin is the API's, the one origin CORS allows.
        parameters = {"BackofficeOrigin": self.api_url, **cfg.parameters}
        provisioner = Provisioner(template, self.client, parameters=parameters)
        self.provisioned = provisioner.provision(progress=lambda what: self.progress(f"  {what}"))

        self.runtime = LambdaRuntime(self.provisioned.functions, base_environment=self._lambda_environment())
        self.bridge = MotoBridge(self.runtime, self._start_execution)
        self.bridge.install()
        runtime = self.runtime
        self.queue_pollers = [
            QueuePoller(mapping, self.client("sqs"), runtime.invoke, region=REGION)
            for mapping in self.provisioned.queue_mappings
        ]
        for poller in self.queue_pollers:
            poller.start()

        if cfg.seed:
            from arbiter_local.seed import seed_demo  # the domain package is imported only once provisioned

            self.progress("seeding demo data")
            self.seeded = seed_demo(self)

        api = template.resources.get(_api_logical_id(template.resources), {}).get("Properties", {})
        spec = self.provisioned.api
        gateway = Gateway(
            self.runtime,
            self.provisioned.routes,
            stage=self.provisioned.api_stage,
            site_dir=cfg.site_dir,
            health=self.health,
            site_config=self.site_config,
            collection_dir=cfg.collection_dir,
            binary_media_types=[str(t) for t in api.get("BinaryMediaTypes", [])],
            cors_headers=_cors_headers(provisioner.resolver.resolve(api.get("Cors", {}))),
            api_id=spec.api_id if spec else "local",
            authorizers={
                name: LambdaAuthorizer.from_sam(name, authorizer)
                for name, authorizer in ((spec.auth.get("Authorizers") or {}) if spec else {}).items()
            },
            usage_plans=UsagePlans(self.client("apigateway"), spec.api_id, spec.stage) if spec else None,
            gateway_responses=GatewayResponses(spec.gateway_responses if spec else {}),
            api_key_source=spec.api_key_source if spec else "HEADER",
        )
        self.gateway = gateway
        self._http = make_server(cfg.host, cfg.api_port, gateway, threaded=True)
        self._http_thread = threading.Thread(target=self._http.serve_forever, name="api-gateway", daemon=True)
        self._http_thread.start()
        self.progress(f"API and back office on {self.api_url}")
        if cfg.seed and cfg.sample_cases:
            from arbiter_local.seed import seed_sample_cases

            self.progress("starting sample cases")
            self.seeded.update(seed_sample_cases(self))

    def stop(self) -> None:
        """Stop serving and restore moto; safe to call twice."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        for poller in self.queue_pollers:
            poller.stop()
        self.queue_pollers = []
        if self.bridge is not None:
            self.bridge.uninstall()
            self.bridge = None
        if self.cognito_rules is not None:
            self.cognito_rules.uninstall()
            self.cognito_rules = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    # ------------------------------------------------------------------ environment
    def _set_process_environment(self) -> None:
        """Every boto3 client of this process, handlers included, talks to moto with fake credentials."""
        os.environ.update(
            {
                "MOTO_PORT": str(self.config.moto_port),
                "AWS_ENDPOINT_URL": self.moto_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
            }
        )
        for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(variable, None)

    def _lambda_environment(self) -> dict[str, str]:
        return {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.moto_url,
            "ARBITER_PUBLIC_API_URL": self.api_url,
        }

    def _start_execution(self, state_machine_arn: str, name: str, payload: str) -> None:
        assert self.client is not None
        self.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=payload
        )

    # ------------------------------------------------------------------ what the gateway serves
    def physical_id(self, logical_id: str) -> str:
        """The local name or id of a template resource."""
        assert self.provisioned is not None
        return self.provisioned.physical_id(logical_id)

    def usage_plans(self) -> Any:
        """The API's tiers (its stage's usage plans in moto), as the operator's tools reach them."""
        from arbiter.adapters.apigateway import ApiGatewayUsagePlans  # the domain package, once provisioned

        if self.provisioned is None or self.provisioned.api is None or self.client is None:
            raise RuntimeError("the stack has no API to give tiers to: start it first")
        api = self.provisioned.api
        return ApiGatewayUsagePlans(self.client("apigateway"), api.api_id, api.stage)

    def health(self) -> dict[str, Any]:
        """What /health answers: the endpoints and every resource provisioned from the template."""
        assert self.provisioned is not None
        assert self.runtime is not None
        resources = self.provisioned.summary()
        return {
            "status": "ok",
            "template": str(self.config.template.name),
            "endpoints": {"api": self.api_url, "aws": self.moto_url},
            "resources": resources,
            "counts": {
                "provisioned": sum(1 for r in resources if r["emulated"]),
                "not_emulated": sum(1 for r in resources if not r["emulated"]),
            },
            "routes": [f"{r.method} {r.path}" for r in self.provisioned.routes],
            "outputs": self.provisioned.outputs,
            "invocations": self.runtime.invocation_count,
            "instances": self.runtime.instances(),
            "event_delivery_errors": list(self.bridge.delivery_errors) if self.bridge else [],
            "queue_delivery_failures": [f for poller in self.queue_pollers for f in poller.failures],
        }

    def site_config(self) -> dict[str, Any]:
        """The back office's config.json: the same keys the deploy command writes for AWS."""
        assert self.provisioned is not None
        outputs = self.provisioned.outputs
        return {
            "apiUrl": self.api_url,
            "region": REGION,
            "cognito": {
                "endpoint": self.moto_url,
                "userPoolId": outputs.get("UserPoolId"),
                "clientId": outputs.get("UserPoolClientId"),
            },
            "environment": "local",
        }


def _api_logical_id(resources: Mapping[str, Any]) -> str:
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::Serverless::Api":
            return name
    return ""


def _cors_headers(cors: Mapping[str, Any]) -> dict[str, str]:
    """SAM's Cors values are quoted strings ("'*'"); API Gateway sends them unquoted."""
    mapping = {
        "AllowOrigin": "Access-Control-Allow-Origin",
        "AllowHeaders": "Access-Control-Allow-Headers",
        "AllowMethods": "Access-Control-Allow-Methods",
        "MaxAge": "Access-Control-Max-Age",
    }
    return {header: str(cors[key]).strip("'") for key, header in mapping.items() if key in cors}
