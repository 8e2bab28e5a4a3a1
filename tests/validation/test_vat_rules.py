"""VAT category rules, category by category, from an invoice valid for that category."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.document import InvoiceDocument
from app.validation.vat import PREFIX

from .conftest import BASE, Payload, failures

CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O")
KINDS = ("lines", "allowances", "charges")
GOOD_RATE: dict[str, str | None] = dict.fromkeys(CATEGORIES, "0") | {"S": "20", "O": None}
BAD_RATE = dict.fromkeys(CATEGORIES, "5.5") | {"S": "0", "O": "20"}


def stem(category: str) -> str:
    return f"BR-{PREFIX[category]}"


def category_payload(category: str) -> Payload:
    """The base invoice with every line in `category`, and the parties that category needs."""
    data = copy.deepcopy(BASE)
    for line in data["lines"]:
        line["vat_category"] = category
        line.pop("vat_rate")
        if GOOD_RATE[category] is not None:
            line["vat_rate"] = GOOD_RATE[category]
    if category == "K":
        data["recipient"]["vat_id"] = "DE123456789"
        data["delivery"] = {"date": "2026-11-18", "address": {"country_code": "DE"}}
    if category == "O":
        data["supplier"].pop("vat_id")
    return data


def entry(category: str) -> dict[str, Any]:
    data: dict[str, Any] = {"amount": "10.00", "reason": "Remise", "vat_category": category}
    if GOOD_RATE[category] is not None:
        data["vat_rate"] = GOOD_RATE[category]
    return data


def with_entry(category: str, kind: str) -> Payload:
    data = category_payload(category)
    if kind != "lines":
        data[kind] = [entry(category)]
    return data


def check(data: Payload) -> set[tuple[str, str]]:
    return failures(InvoiceDocument.model_validate(data))


EXERCISED: set[str] = {"BR-IC-11", "BR-IC-12", "BR-O-11", "BR-O-12", "BR-O-13", "BR-O-14"}
for _category in CATEGORIES:
    EXERCISED |= {f"{stem(_category)}-{n:02d}" for n in (2, 3, 4, 5, 6, 7, 10)}


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("kind", KINDS)
def test_valid_for_each_category(category: str, kind: str) -> None:
    assert check(with_entry(category, kind)) == set()


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize(
    ("kind", "suffix"), [("lines", "02"), ("allowances", "03"), ("charges", "04")]
)
def test_vat_identifiers(category: str, kind: str, suffix: str) -> None:
    data = with_entry(category, kind)
    if category == "O":
        data["supplier"]["vat_id"] = "FR19812345676"  # O forbids it
        path = "supplier.vat_id"
    elif category == "K":
        data["recipient"].pop("vat_id")  # K also needs the buyer's
        path = "recipient.vat_id"
    else:
        data["supplier"].pop("vat_id")
        path = "supplier.vat_id"
    expected = {(f"{stem(category)}-02", path), (f"{stem(category)}-{suffix}", path)}
    assert check(data) == expected


def test_intra_community_needs_the_seller_vat_id_too() -> None:
    data = category_payload("K")
    data["supplier"].pop("vat_id")
    assert check(data) == {("BR-IC-02", "supplier.vat_id")}


def test_reverse_charge_buyer_is_identified_by_its_siret() -> None:
    data = category_payload("AE")
    assert "vat_id" not in data["recipient"]
    assert check(data) == set()


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize(
    ("kind", "suffix"), [("lines", "05"), ("allowances", "06"), ("charges", "07")]
)
def test_item_rate(category: str, kind: str, suffix: str) -> None:
    data = with_entry(category, kind)
    data[kind][0]["vat_rate"] = BAD_RATE[category]
    assert check(data) == {(f"{stem(category)}-{suffix}", f"{kind}[0].vat_rate")}


def test_not_subject_line_keeps_no_rate_unless_one_is_given() -> None:
    data = category_payload("O")
    assert all("vat_rate" not in line for line in data["lines"])  # the model defaults it to 20
    assert check(data) == set()
    data["lines"][1]["vat_rate"] = "0"
    assert check(data) == set()


@pytest.mark.parametrize("category", CATEGORIES)
def test_exemption_reason(category: str) -> None:
    data = category_payload(category)
    if category in ("S", "Z"):
        data["vat_exemptions"] = [{"category": category, "reason": "Exonéré"}]
        expected = {(f"{stem(category)}-10", "vat_exemptions[0]")}
    else:
        data["vat_exemptions"] = [{"category": category}]
        expected = {(f"{stem(category)}-10", "vat_exemptions[0].reason")}
    assert check(data) == expected


@pytest.mark.parametrize("category", ["E", "AE", "K", "G", "O"])
def test_exemption_code_alone_is_enough(category: str) -> None:
    data = category_payload(category)
    data["vat_exemptions"] = [{"category": category, "code": f"VATEX-EU-{PREFIX[category]}"}]
    assert check(data) == set()


def test_intra_community_needs_delivery_date_and_country() -> None:
    data = category_payload("K")
    data.pop("delivery")
    assert check(data) == {
        ("BR-IC-11", "delivery.date"),
        ("BR-IC-12", "delivery.address.country_code"),
    }
    data["invoicing_period"] = {"start": "2026-11-01"}
    assert check(data) == {("BR-IC-12", "delivery.address.country_code")}


def test_not_subject_mixed_with_a_standard_line() -> None:
    data = category_payload("O")
    data["lines"][1].update(vat_category="S", vat_rate="20")
    assert check(data) == {
        ("BR-O-11", "lines[1].vat_category"),
        ("BR-O-12", "lines[1].vat_category"),
        ("BR-S-02", "supplier.vat_id"),
    }


def test_not_subject_with_an_allowance_of_no_category() -> None:
    data = category_payload("O")
    data["allowances"] = [{"amount": "5", "reason": "Remise"}]
    assert check(data) == {
        ("BR-O-11", "allowances[0].vat_category"),
        ("BR-O-13", "allowances[0].vat_category"),
        ("BR-32", "allowances[0].vat_category"),
    }


def test_not_subject_with_a_zero_rated_charge() -> None:
    data = category_payload("O")
    data["charges"] = [{"amount": "5", "reason": "Port", "vat_category": "Z", "vat_rate": "0"}]
    assert check(data) == {
        ("BR-O-11", "charges[0].vat_category"),
        ("BR-O-14", "charges[0].vat_category"),
        ("BR-Z-04", "supplier.vat_id"),
    }
