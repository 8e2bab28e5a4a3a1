"""The HTTP side of intake: reading a posted invoice off the request, and the 202 answer.

One path takes three shapes (JSON document, JSON with a base64 `file`, multipart upload),
which FastAPI cannot express with one typed body, so the request is read here and the
OpenAPI document describes the three shapes explicitly (`REQUEST_BODY`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response, status
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from app.access.deps import InvoiceWriter
from app.document import InvoiceDocument
from app.intake.posted import (
    MAX_FILE_BYTES,
    InvoiceFileMultipart,
    InvoiceFileUpload,
    PostedInvoice,
    SuppliedFile,
    parse_json_invoice,
    uploaded_file,
)
from app.intake.service import NewInvoice
from app.invoices.schemas import InvoiceEventRead, InvoiceRead
from app.invoices.service import InvoiceDetail
from app.kit.errors import FieldError, Unprocessable
from app.kit.responses import model_response

IdempotencyKey = Annotated[
    str,
    Header(
        min_length=1,
        max_length=200,
        description="Unique per invoice; resending the same body with it is safe.",
    ),
]


async def read_posted_invoice(request: Request, _: InvoiceWriter) -> PostedInvoice:
    """The posted invoice, read once the caller's key allows it (401/403 before any 422)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _read_multipart(request)
    return parse_json_invoice(await request.body())


async def _read_multipart(request: Request) -> SuppliedFile:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Unprocessable(errors=[FieldError(field="file", message="a file part is required")])
    return uploaded_file(await upload.read(MAX_FILE_BYTES + 1), upload.filename)


PostedInvoiceDep = Annotated[PostedInvoice, Depends(read_posted_invoice)]


def accepted_answer(detail: InvoiceDetail, created: bool) -> Response:
    """The 202 answer of an accepted invoice, first time or replayed."""
    headers = {"Location": f"/v1/invoices/{detail.invoice.id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    read = InvoiceRead.model_validate(detail, from_attributes=True)
    return model_response(read, status.HTTP_202_ACCEPTED, headers)


def received_answer(received: NewInvoice | InvoiceDetail) -> Response:
    """The 202 answer of `intake_service.receive`: a new invoice, or a replay."""
    if isinstance(received, InvoiceDetail):
        return accepted_answer(received, created=False)
    return new_invoice_answer(received)


def new_invoice_answer(new: NewInvoice) -> Response:
    """The 202 answer of a new invoice, from the values just written: nothing to validate.

    The fields are built (not validated) and serialised by pydantic; the document is
    spliced in as the JSON text already made for storing it, rather than dumped again.
    """
    values = new.values
    # The columns intake does not fill (Chorus ids, deposit times, errors) are still NULL.
    fields: dict[str, Any] = {name: values.get(name) for name in InvoiceRead.model_fields}
    fields["history"] = [InvoiceEventRead.model_construct(**new.history_line())]
    fields["attempts"] = []
    read = InvoiceRead.model_construct(**fields)
    body = read.model_dump_json(exclude=_DOCUMENT)
    content = f'{body[:-1]},"document":{values["document"]}}}'
    headers = {"Location": f"/v1/invoices/{values['id']}"}
    return Response(content, status.HTTP_202_ACCEPTED, headers, media_type="application/json")


_DOCUMENT = {"document"}


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
