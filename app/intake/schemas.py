"""What the dry run of the checks answers (the request bodies are in `posted.py`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ValidationReport(BaseModel):
    valid: bool = True
    syntax: str = Field(description="The Chorus Pro syntaxeFlux the invoice would be sent in.")
    file_name: str
    xml: str = Field(description="The XML that would be deposited (the CII inside a Factur-X).")
