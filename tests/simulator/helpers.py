"""Hand-written invoice files and a small client for driving the simulator in tests.

The XML is deliberately minimal (only what the simulator reads); the real generators live in
app/formats and are tested there.
"""

from __future__ import annotations

import base64
import io
import tarfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app.simulator import SimulatorSettings

START = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC)  # 10:00 in Paris
SUPPLIER = "81234567600017"
PAYS = "21330063500025"
REJECTS = "21750001600019"
SUSPENDS = "21690123100011"
RECYCLES = "21130055300016"
NO_PAYMENT_STATUS = "21310555400017"
CII = "IN_DP_E1_CII_16B"
UBL = "IN_DP_E1_UBL_INVOICE"
FACTURX = "IN_DP_E2_CII_FACTURX"
LOGIN = "TECH_1_sim@cpro.fr"
PASSWORD = "sim-password"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def account(login: str = LOGIN, password: str = PASSWORD) -> str:
    return b64(f"{login}:{password}".encode())


def cii_invoice(
    number: str,
    *,
    recipient: str = PAYS,
    supplier: str = SUPPLIER,
    service: str = "SERV-FINANCES",
    engagement: str | None = "EJ-2025-001",
    issued: str = "20250313",
    type_code: str = "380",
    payable: str | None = "1603.80",
    legal_org: bool = True,
) -> bytes:
    """A CII D16B invoice reduced to the fields Chorus routing needs."""
    seller_id = (
        f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{supplier}</ram:ID>'
        "</ram:SpecifiedLegalOrganization>"
        if legal_org
        else f"<ram:ID>{supplier}</ram:ID>"
    )
    order = (
        f"<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{engagement}"
        "</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>"
        if engagement
        else ""
    )
    due = f"<ram:DuePayableAmount>{payable}</ram:DuePayableAmount>" if payable else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{number}</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{issued}</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>{service}</ram:BuyerReference>
      <ram:SellerTradeParty><ram:Name>EXEMPLE SERVICES SAS</ram:Name>{seller_id}
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Acheteur</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{recipient}</ram:ID>
        </ram:SpecifiedLegalOrganization>
      </ram:BuyerTradeParty>
      {order}
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>1336.50</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>1336.50</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">267.30</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>1603.80</ram:GrandTotalAmount>
        {due}
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def ubl_invoice(
    number: str,
    *,
    recipient: str = PAYS,
    supplier: str = SUPPLIER,
    credit_note: bool = False,
    service_in_contact: bool = False,
) -> bytes:
    """A UBL 2.1 Invoice (or CreditNote) reduced to the routing fields and totals."""
    root = "CreditNote" if credit_note else "Invoice"
    type_tag = "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode"
    buyer_ref = "" if service_in_contact else "<cbc:BuyerReference>SERV-UBL</cbc:BuyerReference>"
    contact = "<cac:Contact><cbc:ID>SERV-UBL</cbc:ID></cac:Contact>" if service_in_contact else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2025-03-13</cbc:IssueDate>
  <cbc:{type_tag}>{"381" if credit_note else "380"}</cbc:{type_tag}>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  {buyer_ref}
  <cac:OrderReference><cbc:ID>PO-77</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyIdentification><cbc:ID schemeID="0009">{supplier}</cbc:ID></cac:PartyIdentification>
    <cac:PartyLegalEntity><cbc:RegistrationName>UBL SARL</cbc:RegistrationName>
    </cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyLegalEntity><cbc:RegistrationName>Commune</cbc:RegistrationName>
      <cbc:CompanyID schemeID="0009">{recipient}</cbc:CompanyID></cac:PartyLegalEntity>
    {contact}
  </cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</{root}>
""".encode()


def facturx_pdf(xml: bytes) -> bytes:
    """A one-page PDF with the CII attached as factur-x.xml."""
    import facturx
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return bytes(facturx.generate_from_binary(buffer.getvalue(), xml, check_xsd=False))


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Harness:
    """An authenticated client of one fresh simulator app."""

    client: httpx.AsyncClient
    settings: SimulatorSettings
    token: str | None = None
    step: float = field(init=False)

    def __post_init__(self) -> None:
        self.step = self.settings.step_seconds

    async def fetch_token(self) -> str:
        answer = await self.client.post(
            "/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sim-client-id",
                "client_secret": "sim-client-secret",
                "scope": "openid",
            },
        )
        assert answer.status_code == 200, answer.text
        token = str(answer.json()["access_token"])
        self.token = token
        return token

    async def headers(self) -> dict[str, str]:
        token = self.token or await self.fetch_token()
        return {
            "Authorization": f"Bearer {token}",
            "cpro-account": account(),
            "Content-Type": "application/json;charset=utf-8",
        }

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.client.post(f"/cpro/{path}", json=body, headers=await self.headers())

    async def call(self, path: str, body: Any) -> dict[str, Any]:
        answer = await self.post(path, body)
        assert answer.status_code == 200, (answer.status_code, answer.text)
        data: dict[str, Any] = answer.json()
        return data

    async def deposit(
        self, content: bytes, syntax: str = CII, name: str = "facture.xml"
    ) -> httpx.Response:
        body = {
            "fichierFlux": b64(content),
            "nomFichier": name,
            "syntaxeFlux": syntax,
            "avecSignature": False,
        }
        return await self.post("factures/v1/deposer/flux", body)

    async def deposit_ok(self, content: bytes, syntax: str = CII, name: str = "f.xml") -> str:
        answer = await self.deposit(content, syntax, name)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["codeRetour"] == 0, data
        return str(data["numeroFluxDepot"])

    async def cr(self, flux: str) -> dict[str, Any]:
        return await self.call("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux})

    async def advance(self, steps: float = 1) -> None:
        answer = await self.client.post(
            "/_simulator/clock/advance", json={"seconds": steps * self.step}
        )
        assert answer.status_code == 200

    async def search(self, **criteria: Any) -> dict[str, Any]:
        return await self.call("factures/v1/rechercher/fournisseur", criteria)

    async def invoice_id(self, flux: str) -> int:
        found = await self.search(numeroFluxDepot=flux)
        assert found["parametresRetour"]["total"] == 1, found
        return int(found["listeFactures"][0]["identifiantFactureCPP"])

    async def history(self, invoice_id: int) -> dict[str, Any]:
        return await self.call("factures/v1/consulter/historique", {"idFacture": invoice_id})

    async def status(self, invoice_id: int) -> str:
        return str((await self.history(invoice_id))["statutCourantCode"])

    async def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self.client.get("/_simulator/stats")).json()
        return data
