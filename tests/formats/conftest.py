"""Fixtures for the format tests; the documents themselves live in `samples`."""

from __future__ import annotations

import pytest

from app.document import InvoiceDocument

from .samples import DOCUMENTS


@pytest.fixture(params=sorted(DOCUMENTS))
def document(request: pytest.FixtureRequest) -> InvoiceDocument:
    return DOCUMENTS[request.param]


@pytest.fixture
def full_document() -> InvoiceDocument:
    return DOCUMENTS["full"]


@pytest.fixture
def minimal_document() -> InvoiceDocument:
    return DOCUMENTS["minimal"]


@pytest.fixture
def everything() -> InvoiceDocument:
    return DOCUMENTS["everything"]


@pytest.fixture
def credit_note() -> InvoiceDocument:
    return DOCUMENTS["credit_note"]
