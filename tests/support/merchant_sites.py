"""Three merchants' websites, served by the tests on local HTTP servers: a low-risk SaaS company, a travel agency
and a shop selling prohibited goods (each reachable as `www.<name>.example` through a resolver the tests give
the egress client)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from arbiter.egress import AllowList, EgressClient, EgressPolicy
from arbiter.workflows import builtin_workflows
from tests.support.cases import publish_demo_rule_sets
from tests.support.local_http import LocalServer, Reply
from tests.waiting import wait_for


def _html(title: str, body: str) -> Callable[[Any], Reply]:
    page = f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()
    return lambda _request: Reply(200, {"Content-Type": "text/html; charset=utf-8"}, page)


_FOOTER = (
    '<footer><a href="/legal/terms">Terms of Service</a> <a href="/refunds">Refund policy</a> '
    '<a href="/privacy">Privacy</a> <a href="/contact">Contact us</a></footer>'
)

SITES: dict[str, dict[str, Callable[[Any], Reply]]] = {
    # BrightDesk GmbH: help-desk software, monthly plans in euros, every page a merchant needs.
    "brightdesk": {
        "/": _html(
            "BrightDesk - help desk software",
            "<h1>Support your customers</h1><p>Starter €29 per month, Team €99 per month.</p>" + _FOOTER,
        ),
        "/legal/terms": _html("Terms", "<p>These terms govern your subscription.</p>"),
        "/refunds": _html("Refunds", "<p>Cancel within 14 days for a full refund.</p>"),
        "/privacy": _html("Privacy", "<p>We process data under the GDPR.</p>"),
        "/contact": _html("Contact", "<p>support@brightdesk.example</p>"),
    },
    # Horizonte Viajes S.L.: flights and package tours, paid months ahead (German and Spanish page names).
    "horizonte-viajes": {
        "/": _html(
            "Horizonte Viajes",
            "<h1>Vuelos y paquetes</h1><p>Mallorca desde 499 EUR, Cancún desde 1.299 EUR.</p>"
            '<a href="/terminos-y-condiciones">Términos y condiciones</a> '
            '<a href="/devoluciones">Devoluciones</a> <a href="/privacidad">Privacidad</a> '
            '<a href="mailto:info@horizonte-viajes.example">Contacto</a>',
        ),
        "/terminos-y-condiciones": _html("Términos", "<p>Condiciones generales de viaje combinado.</p>"),
        "/devoluciones": _html("Devoluciones", "<p>Reembolso según la ley de viajes combinados.</p>"),
        "/privacidad": _html("Privacidad", "<p>Protección de datos.</p>"),
    },
    # Luxe Time Trading Ltd: replica watches, no refund policy.
    "luxetime": {
        "/": _html(
            "Luxe Time",
            "<h1>Replica watches at the best prices</h1><p>Submariner $89, Daytona $120.</p>"
            '<p>Also: counterfeit handbags.</p><a href="/terms">Terms</a> <a href="/contact">Contact</a>',
        ),
        "/terms": _html("Terms", "<p>All sales final.</p>"),
        "/contact": _html("Contact", "<p>WhatsApp only.</p>"),
    },
}


def serve_merchants(serve: Callable[..., LocalServer]) -> dict[str, str]:
    """Each merchant's site on a server of its own: name → its website as an applicant gives it."""
    return {name: f"http://www.{name}.example:{serve(routes).port}/" for name, routes in SITES.items()}


def merchant_egress() -> EgressClient:
    """An egress client that reaches `*.example` on this machine (the local servers), and nothing else."""
    return EgressClient(
        EgressPolicy(allow=AllowList.parse("127.0.0.1")),
        resolve=lambda host, _port: ["127.0.0.1"] if host.endswith(".example") else [],
    )


def publish_underwriting(tenant: Any, serve: Callable[..., LocalServer]) -> dict[str, str]:
    """The tenant's rule sets published, its merchant-underwriting version reaching this machine's sites (the
    egress guard refuses loopback unless a check's `allow` names it), and each merchant's site served."""
    admin = publish_demo_rule_sets(tenant)
    workflow = builtin_workflows()["merchant-underwriting"].model_dump(mode="json")
    for check in workflow["plugins"]:
        if check["plugin"] in ("website", "website_content"):
            check["config"] = {**check.get("config", {}), "allow": ["127.0.0.1"], "try_http": False}
    saved = admin.post("/v1/admin/workflows", json=workflow)
    assert saved.status_code == 201, saved.text
    published = admin.post(
        f"/v1/admin/workflows/merchant-underwriting/versions/{saved.json()['version']}/publish"
    )
    assert published.status_code == 200, published.text
    return {name: f"http://127.0.0.1:{serve(routes).port}/" for name, routes in SITES.items()}


def apply_merchant(
    tenant: Any, name: str, website: str, mcc: str, volume: float, **application: Any
) -> dict[str, Any]:
    """A merchant-underwriting case for `name`, once its automated part is over (the case view)."""
    body = {
        "workflow": "merchant-underwriting",
        "entity": {
            "type": "business",
            "id": f"m-{secrets.token_hex(3)}",
            "business": {"name": name, "country_of_incorporation": "DE", "website": website},
        },
        # Everything else a request carries is the case's context, which rules read as `context.…`.
        "application": {
            "mcc": mcc,
            "monthly_volume": volume,
            "average_ticket": 60,
            "currency": "EUR",
            "chargeback_ratio": 0.2,
            "payment_methods": ["card"],
            **application,
        },
    }
    created = tenant.api().post("/v1/cases", json=body)
    assert created.status_code == 202, created.text
    case_id = created.json()["id"]
    return wait_for(
        lambda: (c := tenant.api().get(f"/v1/cases/{case_id}").json())["state"] != "processing" and c,
        timeout=90,
        what=f"{name} assessed",
    )
