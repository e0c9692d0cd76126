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
from arbiter.plugins.builtin.vendor_http import ResponseSchemaMismatch, VendorHttpPlugin
from arbiter.plugins.builtin.website import WebsitePlugin, registrable_domain
from arbiter.plugins.registry import PluginRegistry


def builtin_registry(*, egress: EgressClient, invoker: FunctionInvoker) -> PluginRegistry:
    """A registry with every built-in plugin (register more on it, e.g. `sanctions`)."""
    return PluginRegistry(
        [
            IdentifiersPlugin(),
            ContactPlugin(),
            WebsitePlugin(egress),
            OwnershipPlugin(),
            VendorHttpPlugin(egress),
            CustomLambdaPlugin(invoker),
        ]
    )


__all__ = [
    "ContactPlugin",
    "CustomLambdaPlugin",
    "FunctionInvocationFailed",
    "FunctionInvoker",
    "IdentifiersPlugin",
    "OwnershipPlugin",
    "ResponseSchemaMismatch",
    "VendorHttpPlugin",
    "WebsitePlugin",
    "builtin_registry",
    "registrable_domain",
]
