"""The bundled Chorus Pro simulator still finds what it needs in every syntax we produce."""

from __future__ import annotations

import pytest

from app.formats import Syntax, render
from app.simulator.documents import read_document

from .samples import DOCUMENTS


@pytest.mark.parametrize("syntax", list(Syntax), ids=lambda s: s.name)
@pytest.mark.parametrize("name", ["everything", "credit_note", "minimal"])
def test_simulator_reads_routing_data_and_amounts(name: str, syntax: Syntax) -> None:
    document = DOCUMENTS[name]
    rendered = render(document, syntax)
    parsed = read_document(rendered.content, syntax.value, rendered.file_name)
    totals = document.compute_totals()
    assert (parsed.number, parsed.issue_date) == (document.number, document.issue_date)
    assert parsed.kind == ("AVOIR" if document.type_code == "381" else "FACTURE")
    assert (parsed.supplier_siret, parsed.recipient_siret) == (
        document.supplier.siret,
        document.recipient.siret,
    )
    assert parsed.supplier_name == document.supplier.name
    assert (parsed.service_code, parsed.engagement) == (
        document.service_code,
        document.engagement_number,
    )
    assert (parsed.amount_ht, parsed.amount_ttc, parsed.amount_payable) == (
        totals.tax_exclusive,
        totals.tax_inclusive,
        totals.payable,
    )
