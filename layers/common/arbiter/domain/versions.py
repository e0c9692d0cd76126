"""What tenants version, save as drafts and publish (rule sets, workflows): one entry of their list."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["VersionSummary"]


class VersionSummary(BaseModel):
    """One versioned document in the tenant's list: its newest version and the one new cases pin."""

    id: str
    name: str
    latest_version: int
    published_version: int | None = None
    #: When its newest version was saved (ISO 8601).
    updated_at: str | None = None
