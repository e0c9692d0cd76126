"""The checks Arbiter ships with, and a registry holding them all."""

from arbiter.egress import EgressClient
from arbiter.plugins.builtin.contact import ContactPlugin
from arbiter.plugins.builtin.custom_lambda import (
    CustomLambdaPlugin,
    FunctionInvocationFailed,
    FunctionInvoker,
)
from arbiter.plugins.builtin.identifiers import IdentifiersPlugin
from arbiter.plugins.builtin.ownership import OwnershipPlugin
from arbiter.plugins.builtin.sanctions import (
    ClearanceReader,
    SanctionsPlugin,
    WatchlistMissing,
    WatchlistSource,
    WatchlistUnavailable,
    unconfigured_watchlists,
)
from arbiter.plugins.builtin.vendor_http import ResponseSchemaMismatch, VendorHttpPlugin
from arbiter.plugins.builtin.website import WebsitePlugin, registrable_domain
from arbiter.plugins.builtin.website_content import WebsiteContentPlugin
from arbiter.plugins.registry import PluginRegistry


def builtin_registry(
    *,
    egress: EgressClient,
    invoker: FunctionInvoker,
    watchlists: WatchlistSource | None = None,
    clearances: ClearanceReader | None = None,
) -> PluginRegistry:
    """A registry with every built-in plugin; without `watchlists`, the sanctions check fails saying why."""
    unconfigured = unconfigured_watchlists()
    return PluginRegistry(
        [
            IdentifiersPlugin(),
            ContactPlugin(),
            WebsitePlugin(egress),
            WebsiteContentPlugin(egress),
            OwnershipPlugin(),
            VendorHttpPlugin(egress),
            CustomLambdaPlugin(invoker),
            SanctionsPlugin(watchlists or unconfigured, clearances or unconfigured),
        ]
    )


__all__ = [
    "ClearanceReader",
    "ContactPlugin",
    "CustomLambdaPlugin",
    "FunctionInvocationFailed",
    "FunctionInvoker",
    "IdentifiersPlugin",
    "OwnershipPlugin",
    "ResponseSchemaMismatch",
    "SanctionsPlugin",
    "VendorHttpPlugin",
    "WatchlistMissing",
    "WatchlistSource",
    "WatchlistUnavailable",
    "WebsiteContentPlugin",
    "WebsitePlugin",
    "builtin_registry",
    "registrable_domain",
]
