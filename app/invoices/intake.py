"""Reading `POST /v1/invoices` bodies: a JSON invoice, or a file the ERP built itself.

One path takes three shapes (JSON document, JSON with a base64 `file`, multipart upload),
which FastAPI cannot express with one typed body, so the request is read here and the
OpenAPI document describes the three shapes explicitly (`REQUEST_BODY`).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Header, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from app.document import InvoiceDocument
from app.kit.errors import FieldError, Unprocessable, validation_errors

# deposerFluxFacture takes at most 10 MB per file (API.md 5.4).
MAX_FILE_BYTES = 10 * 1024 * 1024


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
    content: bytes
    file_name: str


Submission = InvoiceDocument | SuppliedFile

IdempotencyKey = Annotated[
    str,
    Header(
        min_length=1,
        max_length=200,
        description="Unique per invoice; resending the same body with it is safe.",
    ),
]


class FileTooLarge(Unprocessable):
    slug = "file-too-large"
    title = "The file is larger than Chorus Pro accepts (10 MB)"


def _too_large() -> FileTooLarge:
    return FileTooLarge(errors=[FieldError(field="file", message="more than 10 MB")])


async def read_submission(request: Request) -> Submission:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _read_multipart(request)
    body = await request.body()
    try:
        data: Any = json.loads(body, parse_float=Decimal)
    except ValueError as exc:
        raise Unprocessable(
            "the body is not JSON", errors=[FieldError(field="(body)", message=str(exc))]
        ) from exc
    try:
        if isinstance(data, dict) and "file" in data:
            return _decode(InvoiceFileUpload.model_validate(data).file)
        return InvoiceDocument.model_validate(data)
    except ValidationError as exc:
        errors = validation_errors(exc.errors(), prefix=("body",))
        raise Unprocessable(f"{len(errors)} field(s) are not valid", errors=errors) from exc


async def _read_multipart(request: Request) -> SuppliedFile:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Unprocessable(errors=[FieldError(field="file", message="a file part is required")])
    content = await upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise _too_large()
    if not content:
        raise Unprocessable(errors=[FieldError(field="file", message="the file is empty")])
    return SuppliedFile(content, upload.filename or "invoice")


def _decode(encoded: EncodedFile) -> SuppliedFile:
    if len(encoded.content) > MAX_FILE_BYTES * 4 // 3 + 4:
        raise _too_large()
    try:
        content = base64.b64decode(encoded.content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(
            errors=[FieldError(field="file.content", message="not valid base64")]
        ) from exc
    return SuppliedFile(content, encoded.file_name or "invoice")


REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/InvoiceDocument"},
                        {"$ref": "#/components/schemas/InvoiceFileUpload"},
                    ]
                }
            },
            "multipart/form-data": {
                "schema": {"$ref": "#/components/schemas/InvoiceFileMultipart"}
            },
        },
    }
}
REQUEST_MODELS: list[type[BaseModel]] = [InvoiceDocument, InvoiceFileUpload, InvoiceFileMultipart]
