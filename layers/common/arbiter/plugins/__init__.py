"""Checks as plugins: the contract, the registry, the runner, and the built-in checks.

A workflow's configuration lists its checks (`validate_configs` when it is saved); a Step Functions task runs
them for a case (`run_checks`, or `PluginCheckRunner` with the registry and secrets); see docs/plugins.md.
"""

from arbiter.plugins.check_runner import PluginCheckRunner
from arbiter.plugins.contract import (
    CaseContext,
    CheckError,
    Flag,
    Plugin,
    PluginConfig,
    PluginResult,
    Severity,
    Status,
    TransientCheckError,
    case_entity,
)
from arbiter.plugins.policy import RetryPolicy, RunPolicy
from arbiter.plugins.registry import (
    InvalidPluginConfig,
    PluginCall,
    PluginRegistry,
    UnknownPlugin,
    validate_config,
    validate_configs,
)
from arbiter.plugins.result_size import ResultLimits, fit_results, result_size
from arbiter.plugins.runner import CHECK_FAILED, AttemptTimedOut, failed_check, run_checks

__all__ = [
    "CHECK_FAILED",
    "AttemptTimedOut",
    "CaseContext",
    "CheckError",
    "Flag",
    "InvalidPluginConfig",
    "Plugin",
    "PluginCall",
    "PluginCheckRunner",
    "PluginConfig",
    "PluginRegistry",
    "PluginResult",
    "ResultLimits",
    "RetryPolicy",
    "RunPolicy",
    "Severity",
    "Status",
    "TransientCheckError",
    "UnknownPlugin",
    "case_entity",
    "failed_check",
    "fit_results",
    "result_size",
    "run_checks",
    "validate_config",
    "validate_configs",
]
