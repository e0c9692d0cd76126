"""Object keys in the documents bucket, in one place. Every segment is an id Arbiter issued or checked.

| object | key |
|---|---|
| page uploaded by the integrator (presigned POST) | `uploads/{tenant}/{case}/{token}` |
| page copied in by the workflow (remote, inline, file id) | `pages/{tenant}/{case}/{token}` |
| thumbnail | `thumbnails/{tenant}/{case}/{token}.jpg` |
| file sent to the Ballerine storage endpoint, or inline page data | `files/{tenant}/{file id}` |
| evidence bundle a reviewer exported (zip; expires after a day, erased with the case's documents) | `evidence/{tenant}/{case}/{token}.zip` |

Only `uploads/` triggers the ingestion function (the S3 notification's prefix filter).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from arbiter.domain.errors import InvalidInput

__all__ = [
    "EVIDENCE_PREFIX",
    "UPLOADS_PREFIX",
    "UploadKey",
    "evidence_key",
    "evidence_prefix",
    "file_key",
    "new_file_id",
    "page_key",
    "parse_upload_key",
    "thumbnail_key",
    "upload_key",
    "valid_file_id",
]

UPLOADS_PREFIX = "uploads/"
EVIDENCE_PREFIX = "evidence/"
_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
#: A case Arbiter opened: `case_` (started by an integrator or a reviewer), `rev_` (a review of an approved customer,
#: which takes the documents it asks for again), `mon_` (a monitoring hit, whose evidence can be exported).
_CASE = re.compile(r"^(case|rev|mon)_[0-9a-f]{12,64}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_FILE_ID = re.compile(r"^file_[0-9a-f]{32}$")


def _checked(tenant_id: str, case_id: str) -> str:
    if not _TENANT.match(tenant_id) or not _CASE.match(case_id):
        raise InvalidInput("not a tenant and case Arbiter issued", path="case_id")
    return f"{tenant_id}/{case_id}"


def upload_key(tenant_id: str, case_id: str) -> str:
    """A new key for a page the integrator uploads."""
    return f"{UPLOADS_PREFIX}{_checked(tenant_id, case_id)}/{secrets.token_hex(16)}"


def page_key(tenant_id: str, case_id: str) -> str:
    """A new key for a page the workflow copies in."""
    return f"pages/{_checked(tenant_id, case_id)}/{secrets.token_hex(16)}"


def thumbnail_key(tenant_id: str, case_id: str) -> str:
    return f"thumbnails/{_checked(tenant_id, case_id)}/{secrets.token_hex(16)}.jpg"


def evidence_prefix(tenant_id: str, case_id: str) -> str:
    """Where a case's evidence bundles live (retention and erasure delete what is under it)."""
    return f"{EVIDENCE_PREFIX}{_checked(tenant_id, case_id)}/"


def evidence_key(tenant_id: str, case_id: str) -> str:
    """A new key for an evidence bundle of the case."""
    return f"{evidence_prefix(tenant_id, case_id)}{secrets.token_hex(16)}.zip"


def new_file_id() -> str:
    return f"file_{secrets.token_hex(16)}"


def valid_file_id(file_id: str) -> bool:
    """Whether `file_id` has the shape of an id Arbiter issues (anything else is never used in a key)."""
    return bool(_FILE_ID.match(file_id))


def file_key(tenant_id: str, file_id: str) -> str:
    if not _TENANT.match(tenant_id) or not valid_file_id(file_id):
        raise InvalidInput(f"unknown file id {file_id!r}", path="ballerineFileId")
    return f"files/{tenant_id}/{file_id}"


@dataclass(frozen=True)
class UploadKey:
    tenant_id: str
    case_id: str


def parse_upload_key(key: str) -> UploadKey | None:
    """The tenant and case of an upload key; None for any key Arbiter did not issue."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] + "/" != UPLOADS_PREFIX:
        return None
    _, tenant_id, case_id, token = parts
    if not (_TENANT.match(tenant_id) and _CASE.match(case_id) and _TOKEN.match(token)):
        return None
    return UploadKey(tenant_id, case_id)
