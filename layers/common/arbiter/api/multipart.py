"""Reading one file field from a multipart/form-data request body (the Ballerine storage endpoint).

The standard library's email parser reads MIME multipart bodies; API Gateway hands the body over base64
encoded when the content type is one of the API's binary media types (template.yaml lists multipart).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from arbiter.domain.errors import BadRequest, InvalidInput, UnsupportedMediaType

__all__ = ["raw_body", "read_file_field"]


def raw_body(event: Any) -> bytes:
    """The request body's bytes, decoding API Gateway's base64 when it says so."""
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("the body is not valid base64", path="body") from exc
    return body.encode("utf-8", errors="surrogateescape")


def read_file_field(body: bytes, content_type: str | None, field: str = "file") -> tuple[bytes, str | None]:
    """The bytes and file name of the form field `field`; InvalidInput naming the field otherwise."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType("send the file as multipart/form-data", path="Content-Type")
    if "boundary=" not in content_type.lower():
        raise BadRequest(
            "multipart/form-data needs its boundary in the Content-Type header", path="Content-Type"
        )
    # The email package is a sizeable import that only this upload needs: not on the API's cold start.
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    if not message.is_multipart() or not list(message.iter_parts()):
        raise BadRequest("the multipart body could not be read: no part matches its boundary", path="body")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes) or not payload:
                raise InvalidInput(f"the {field} field is empty", path=field)
            return payload, part.get_filename()
    raise InvalidInput(f"the form has no {field} field", path=field)
