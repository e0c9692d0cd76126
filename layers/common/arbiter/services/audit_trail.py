"""The audit trail's evidence: verifying a case's hash chain."""

from __future__ import annotations

from arbiter.domain.audit_chain import ChainVerification, verify
from arbiter.domain.principal import Principal
from arbiter.services.cases import CaseDeps

__all__ = ["verify_audit_trail"]


def verify_audit_trail(deps: CaseDeps, principal: Principal, case_id: str) -> ChainVerification:
    """Recompute the case's audit chain and compare it with the stored hashes, its head and its anchor."""
    principal.require("viewer", "reading a case")
    return verify(deps.cases.audit_chain(principal.tenant_id, case_id))
