"""What an ERP may post as an invoice: a JSON invoice, or a file it built itself.

Plain data and their decoding only; reading them off an HTTP request is `http.py`'s work.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.document import InvoiceDocument
from app.kit.errors import FieldError, Unprocessable, validation_errors
from app.kit.frontdoor import MAX_JSON_DEPTH, NUL_MESSAGE, json_too_deep, nul_fields

# deposerFluxFacture takes at most 10 MB per file (API.md 5.4).
MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_FILE_NAME = "invoice"


class EncodedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, description="The file, base64-encoded")
    file_name: str | None = Field(default=None, max_length=200)


class InvoiceFileUpload(BaseModel):
    """A ready-made CII or UBL XML, or Factur-X PDF, deposited unchanged."""

    model_config = ConfigDict(extra="forbid")

    file: EncodedFile


class InvoiceFileMultipart(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"})


@dataclass(frozen=True)
class SuppliedFile:
    """A file the ERP built: read for the checks, deposited byte for byte."""

    content: bytes
    file_name: str


PostedInvoice = InvoiceDocument | SuppliedFile
"""The body of `POST /v1/invoices` (and of a replacement), once read."""


class FileTooLarge(Unprocessable):
    slug = "file-too-large"
    title = "The file is larger than Chorus Pro accepts (10 MB)"


def too_large() -> FileTooLarge:
    return FileTooLarge(errors=[FieldError(field="file", message="more than 10 MB")])


def parse_json_invoice(body: bytes) -> PostedInvoice:
    """A JSON body: an invoice document, or `{"file": {...}}` with a base64 file."""
    # The front door already checked both for a JSON request; a body may come from elsewhere.
    if json_too_deep(body):
        raise Unprocessable(
            f"the JSON nests deeper than {MAX_JSON_DEPTH} levels",
            errors=[FieldError(field="(body)", message="nested too deep", code="depth")],
        )
    try:
        data: Any = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise Unprocessable(
            "the body is not JSON", errors=[FieldError(field="(body)", message=str(exc))]
        ) from exc
    # Strict JSON holds no raw NUL: one is only ever the escape, so most bodies skip the walk.
    nul = list(nul_fields(data)) if b"\\u0000" in body else []
    if nul:
        raise Unprocessable(
            NUL_MESSAGE, errors=[FieldError(field=f, message=NUL_MESSAGE, code="nul") for f in nul]
        )
    try:
        if isinstance(data, dict) and "file" in data:
            return decode_file(InvoiceFileUpload.model_validate(data).file)
        return InvoiceDocument.model_validate(data)
    except ValidationError as exc:
        errors = validation_errors(exc.errors(), prefix=("body",))
        raise Unprocessable(f"{len(errors)} field(s) are not valid", errors=errors) from exc


def uploaded_file(content: bytes, file_name: str | None) -> SuppliedFile:
    """A multipart upload, read at most one byte past the limit."""
    if len(content) > MAX_FILE_BYTES:
        raise too_large()
    if not content:
        raise Unprocessable(errors=[FieldError(field="file", message="the file is empty")])
    if file_name and "\x00" in file_name:
        raise Unprocessable(
            NUL_MESSAGE, errors=[FieldError(field="file.filename", message=NUL_MESSAGE, code="nul")]
        )
    return SuppliedFile(content, file_name or DEFAULT_FILE_NAME)


def decode_file(encoded: EncodedFile) -> SuppliedFile:
    if len(encoded.content) > MAX_FILE_BYTES * 4 // 3 + 4:
        raise too_large()
    try:
        content = base64.b64decode(encoded.content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(
            errors=[FieldError(field="file.content", message="not valid base64")]
        ) from exc
    return SuppliedFile(content, encoded.file_name or DEFAULT_FILE_NAME)
