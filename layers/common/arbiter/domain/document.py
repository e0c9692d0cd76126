"""Documents attached to a case: what they are, and their pages.

A page's bytes live in the documents bucket under a key Arbiter chooses (never a path an integrator sent); the
page records where it came from (an upload, a remote URL, inline data, a file id) and whether it is available.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Document", "DocumentDecision", "Page", "PageSource"]

PageStatus = Literal["pending", "available", "unavailable", "rejected"]


class PageSource(BaseModel):
    """Where a page came from, as the integrator sent it (a remote URI, inline data, a file id, an upload)."""

    model_config = ConfigDict(extra="allow")

    provider: str = Field(default="upload", max_length=64, description="http, base64, file, upload…")
    uri: str | None = Field(default=None, max_length=8192)
    file_id: str | None = Field(default=None, max_length=128)
    has_inline_data: bool = False


class Page(BaseModel):
    """One page (an image or a PDF) of a document."""

    model_config = ConfigDict(extra="allow")

    index: int = Field(ge=0)
    status: PageStatus = "pending"
    source: PageSource = Field(default_factory=PageSource)
    object_key: str | None = Field(default=None, description="Key in the documents bucket, chosen by Arbiter")
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    page_count: int | None = Field(default=None, description="For a PDF: how many pages it holds")
    thumbnail_key: str | None = None
    reason: str | None = Field(default=None, description="Why the page is unavailable or rejected")
    metadata: dict[str, Any] = Field(default_factory=dict)


class DocumentDecision(BaseModel):
    """A reviewer's decision on one document."""

    decision: Literal["approved", "rejected", "revision"]
    reason: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


class Document(BaseModel):
    """A document of a case: its type and category, who issued it, its properties, its pages."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str = Field(min_length=1, max_length=100, description="e.g. passport, certificate_of_incorporation")
    category: str | None = Field(
        default=None, max_length=100, description="e.g. identification, proof_of_address"
    )
    issuer: dict[str, Any] = Field(
        default_factory=dict, description="e.g. {country: DE, name: Handelsregister}"
    )
    properties: dict[str, Any] = Field(default_factory=dict, description="Fields read from the document")
    pages: list[Page] = Field(default_factory=list)
    version: int = Field(default=1, ge=1, description="Increases when the integrator uploads a new version")
    decision: DocumentDecision | None = None
    created_at: dt.datetime | None = None
