"""Request bodies of the actions on an invoice: complete, recycle."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AttachmentUpload(BaseModel):
    """A supporting document for Chorus Pro (ajouterFichierDansSysteme)."""

    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(
        min_length=3,
        max_length=50,
        pattern=r"^[^/\\]+\.[A-Za-z0-9]{1,5}$",
        description="With its extension; at most 50 characters (Chorus Pro's limit).",
    )
    content: str = Field(min_length=1, description="The file, base64-encoded; at most 10 MB.")
    mime_type: str | None = Field(default=None, description="Guessed from the name if absent.")
    designation: str | None = Field(
        default=None, max_length=100, description="Label shown to the recipient; the file name."
    )


class CompleteRequest(BaseModel):
    """The answer to a suspension: supporting documents and/or a comment."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)
    attachments: list[AttachmentUpload] = Field(default_factory=list, max_length=20)


class RecycleRequest(BaseModel):
    """New routing for an invoice to recycle; the invoice number stays the same."""

    model_config = ConfigDict(extra="forbid")

    recipient_siret: str = Field(pattern=r"^\d{14}$")
    service_code: str | None = Field(default=None, min_length=1, max_length=100)
    engagement_number: str | None = Field(default=None, min_length=1, max_length=50)
    comment: str | None = Field(default=None, max_length=2000)
