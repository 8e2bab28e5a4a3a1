"""In-memory store of the simulator: tokens, fluxes, invoices, faults and counters.

Every future status is planned when an event happens (deposit, completion, recycling) and
becomes visible when the clock reaches it, so reads are pure functions of the clock and no
background task is needed. Callers hold `SimulatorState.lock` around anything that mutates.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.simulator.clock import OffsetClock
from app.simulator.documents import INTERFACE_CODES, DocumentError, ParsedInvoice
from app.simulator.scenarios import (
    AWAITING_SUPPLIER,
    Prefix,
    Recipient,
    Step,
    initial_path,
    prefix_of,
    recipient_for,
)
from app.simulator.settings import SimulatorSettings

FLUX_PENDING = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
FLUX_INTEGRATED = "IN_INTEGRE"
FLUX_PARTIAL = "IN_INTEGRE_PARTIEL"
FLUX_REJECTED = "IN_REJETE"
MAX_INVOICE_NUMBER_LENGTH = 20


CURRENT_LOGIN: ContextVar[str | None] = ContextVar("simulator_technical_login", default=None)
"""The technical account of the call being answered, so that a deposit records whose it is."""


@dataclass
class StatusEvent:
    id: int
    code: str
    at: datetime
    comment: str
    by_recipient: bool


@dataclass
class InvoiceRecord:
    id: int
    flux_number: str
    document: ParsedInvoice
    number: str
    supplier_siret: str
    recipient: Recipient
    service_code: str | None
    engagement: str | None
    deposited_at: datetime
    visible_from: datetime
    events: list[StatusEvent] = field(default_factory=list)
    # pieceJointeComplementaire items received by completerFacture, oldest first.
    attachments: list[dict[str, object]] = field(default_factory=list)

    def visible(self, now: datetime) -> bool:
        return now >= self.visible_from

    def history(self, now: datetime) -> list[StatusEvent]:
        """Statuses reached so far, newest first."""
        reached = [e for e in self.events if e.at <= now]
        return sorted(reached, key=lambda e: (e.at, e.id), reverse=True)

    def current(self, now: datetime) -> StatusEvent:
        return self.history(now)[0]


@dataclass
class FluxRecord:
    number: str
    syntax: str
    file_name: str
    interface: str
    received_at: datetime
    processed_at: datetime
    final_state: str
    first_invoice_number: str | None
    invoice_count: int
    invoice_ids: list[int] = field(default_factory=list)
    dp_errors: list[dict[str, str]] = field(default_factory=list)
    technical_errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def interface_code(self) -> str:
        return f"FSO{self.interface}A"

    def state(self, now: datetime) -> tuple[str, datetime]:
        if now < self.processed_at:
            return FLUX_PENDING, self.received_at
        return self.final_state, self.processed_at


@dataclass
class Fault:
    """An injected transport fault. `after`: played once the call has been processed (the
    flux is recorded, the status changed), so the client loses an answer that took effect."""

    operation: str  # a nickname, or "*" for every Chorus Pro operation (not the token)
    status: int | None
    remaining: int | None  # None: every call, for as long as the fault stays
    retry_after: int | None
    delay_seconds: float
    after: bool = False
    drop: bool = False  # close the connection without an answer
    probability: float = 1.0  # each matching call is hit with this probability

    def matches(self, operation: str, after: bool) -> bool:
        if self.after != after or self.remaining == 0:
            return False
        return self.operation == operation or (self.operation == "*" and operation != "token")


@dataclass(frozen=True)
class DepositRefusal:
    """A deposit answered with a transport error and not recorded (X500 / X429 first try)."""

    status: int
    retry_after: int | None


class SimulatorState:
    def __init__(self, settings: SimulatorSettings, clock: OffsetClock) -> None:
        self.settings = settings
        self.clock = clock
        self.lock = asyncio.Lock()
        self.reset()

    def reset(self) -> None:
        self.tokens: dict[str, datetime] = {}
        self.tokens_issued = 0
        self.calls: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.random = random.Random(self.settings.fault_seed)
        self.fluxes: dict[str, FluxRecord] = {}
        self.invoices: dict[int, InvoiceRecord] = {}
        self.deposits: list[dict[str, object]] = []
        self.numbers_in_use: dict[tuple[str, str], int] = {}
        self.refused_once: set[str] = set()
        self.attachments: dict[int, dict[str, object]] = {}
        self._attachment_seq = 10_321_000
        self._flux_seq = 0
        self._invoice_seq = 8_316_000
        self._event_seq = 99_120_000
        self.clock.reset()

    @property
    def step(self) -> timedelta:
        return timedelta(seconds=self.settings.step_seconds)

    def now(self) -> datetime:
        return self.clock.now()

    # Tokens -------------------------------------------------------------------------------

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.now() + timedelta(seconds=self.settings.token_ttl_seconds)
        self.tokens_issued += 1
        return token

    def token_problem(self, token: str | None) -> str | None:
        """None when the token is good, else the reason PISTE would give."""
        if not token:
            return "Missing access token"
        expires_at = self.tokens.get(token)
        if expires_at is None:
            return "Invalid access token"
        if self.now() >= expires_at:
            return "Access token expired"
        return None

    def expire_tokens(self) -> int:
        now = self.now()
        for token, expires_at in self.tokens.items():
            self.tokens[token] = min(expires_at, now)
        return len(self.tokens)

    # Faults -------------------------------------------------------------------------------

    def take_fault(self, operation: str, *, after: bool = False) -> Fault | None:
        """The first fault that hits this call (each drawn with its probability), if any."""
        for fault in self.faults:
            if not fault.matches(operation, after):
                continue
            if fault.probability < 1.0 and self.random.random() >= fault.probability:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
            return fault
        return None

    # Deposits -----------------------------------------------------------------------------

    def refusal_for(self, first_number: str | None) -> DepositRefusal | None:
        """X500 / X429 answer a transport error on the first attempt for that number only."""
        prefix = prefix_of(first_number)
        if prefix not in (Prefix.FAIL_503_ONCE, Prefix.THROTTLE_ONCE) or first_number is None:
            return None
        if first_number in self.refused_once:
            return None
        self.refused_once.add(first_number)
        if prefix is Prefix.FAIL_503_ONCE:
            return DepositRefusal(503, None)
        return DepositRefusal(429, 1)

    def deposit(
        self,
        syntax: str,
        file_name: str,
        content: list[ParsedInvoice] | DocumentError,
    ) -> FluxRecord:
        """Record a flux and plan everything that will happen to it."""
        now = self.now()
        self._flux_seq += 1
        interface = INTERFACE_CODES[syntax]
        invoices = content if isinstance(content, list) else []
        first_number = invoices[0].number if invoices else None
        flux = FluxRecord(
            number=f"CPP001{interface}{self._flux_seq:015d}",
            syntax=syntax,
            file_name=file_name,
            interface=interface,
            received_at=now,
            processed_at=now + self.step,
            final_state=FLUX_REJECTED,
            first_invoice_number=first_number,
            invoice_count=len(invoices),
        )
        if isinstance(content, DocumentError):
            flux.technical_errors.append(
                {
                    "codeErreur": content.code,
                    "libelleErreur": f"SIMULATED: {content.message}",
                    "natureErreur": "TECHNIQUE",
                }
            )
        elif prefix_of(first_number) is Prefix.REJECT_FLUX:
            for doc in invoices:
                flux.dp_errors.append(
                    _dp_error(doc, "SIMULATED: rejet demandé par le préfixe XREJ")
                )
        else:
            self._integrate(flux, invoices)
        self.fluxes[flux.number] = flux
        self.deposits.append(
            {
                "numeroFluxDepot": flux.number,
                "numeroFacture": first_number,
                "nbFactures": len(invoices),
                "syntaxeFlux": syntax,
                "received_at": now.isoformat(),
                "technical_login": CURRENT_LOGIN.get(),
            }
        )
        return flux

    def _integrate(self, flux: FluxRecord, documents: list[ParsedInvoice]) -> None:
        for doc in documents:
            problem = self._problem(doc)
            if problem is not None:
                flux.dp_errors.append(_dp_error(doc, f"SIMULATED: {problem}"))
                continue
            invoice = self._create_invoice(flux, doc)
            self.numbers_in_use[(invoice.supplier_siret, invoice.number)] = invoice.id
            flux.invoice_ids.append(invoice.id)
        if not flux.dp_errors:
            flux.final_state = FLUX_INTEGRATED
        elif flux.invoice_ids:
            flux.final_state = FLUX_PARTIAL

    def _problem(self, doc: ParsedInvoice) -> str | None:
        if not doc.number:
            return "numéro de facture absent"
        if len(doc.number) > MAX_INVOICE_NUMBER_LENGTH:
            return "numéro de facture de plus de 20 caractères"
        if not doc.supplier_siret:
            return "identifiant fournisseur absent"
        if not doc.recipient_siret:
            return "identifiant destinataire absent"
        if doc.issue_date is None:
            return "date de facture absente ou invalide"
        if doc.amount_payable is None:
            return "montant à payer absent"
        if (doc.supplier_siret, doc.number) in self.numbers_in_use:
            return "numéro de facture déjà utilisé"
        return None

    def _create_invoice(self, flux: FluxRecord, doc: ParsedInvoice) -> InvoiceRecord:
        """Only called once `_problem` found the number, both SIRETs and the amount."""
        self._invoice_seq += 1
        recipient = recipient_for(doc.recipient_siret or "")
        invoice = InvoiceRecord(
            id=self._invoice_seq,
            flux_number=flux.number,
            document=doc,
            number=doc.number or "",
            supplier_siret=doc.supplier_siret or "",
            recipient=recipient,
            service_code=doc.service_code,
            engagement=doc.engagement,
            deposited_at=flux.received_at,
            visible_from=flux.processed_at,
        )
        self.plan(invoice, initial_path(recipient, flux.processed_at, self.step))
        self.invoices[invoice.id] = invoice
        return invoice

    def seed(self, documents: list[ParsedInvoice], status: str) -> FluxRecord:
        """Invoices integrated now and in `status`, with nothing planned after it (tests)."""
        now = self.now()
        syntax = "IN_DP_E1_CII_16B"
        self._flux_seq += 1
        interface = INTERFACE_CODES[syntax]
        flux = FluxRecord(
            number=f"CPP001{interface}{self._flux_seq:015d}",
            syntax=syntax,
            file_name="seeded",
            interface=interface,
            received_at=now,
            processed_at=now,
            final_state=FLUX_INTEGRATED,
            first_invoice_number=documents[0].number if documents else None,
            invoice_count=len(documents),
        )
        for doc in documents:
            self._invoice_seq += 1
            invoice = InvoiceRecord(
                id=self._invoice_seq,
                flux_number=flux.number,
                document=doc,
                number=doc.number or "",
                supplier_siret=doc.supplier_siret or "",
                recipient=recipient_for(doc.recipient_siret or ""),
                service_code=doc.service_code,
                engagement=doc.engagement,
                deposited_at=now,
                visible_from=now,
            )
            self.plan(invoice, [Step(status, now, by_recipient=status != "DEPOSEE")])
            self.invoices[invoice.id] = invoice
            self.numbers_in_use[(invoice.supplier_siret, invoice.number)] = invoice.id
            flux.invoice_ids.append(invoice.id)
        self.fluxes[flux.number] = flux
        return flux

    def force_status(self, invoice: InvoiceRecord, code: str, comment: str) -> None:
        """A recipient decision now; whatever was planned after now is dropped."""
        now = self.now()
        invoice.events = [e for e in invoice.events if e.at <= now]
        self.plan(invoice, [Step(code, now, comment)])

    def add_attachment(self, name: str, mime: str, extension: str, size: int) -> int:
        self._attachment_seq += 1
        self.attachments[self._attachment_seq] = {
            "pieceJointeId": self._attachment_seq,
            "pieceJointeNom": name,
            "pieceJointeTypeMime": mime,
            "pieceJointeExtension": extension,
            "taille": size,
        }
        return self._attachment_seq

    def plan(self, invoice: InvoiceRecord, steps: list[Step]) -> None:
        for step in steps:
            self._event_seq += 1
            invoice.events.append(
                StatusEvent(self._event_seq, step.code, step.at, step.comment, step.by_recipient)
            )

    # Reads --------------------------------------------------------------------------------

    def visible_invoice(self, invoice_id: int) -> InvoiceRecord | None:
        invoice = self.invoices.get(invoice_id)
        if invoice is None or not invoice.visible(self.now()):
            return None
        return invoice

    def awaiting_supplier(self, invoice: InvoiceRecord) -> str | None:
        code = invoice.current(self.now()).code
        return code if code in AWAITING_SUPPLIER else None


def _dp_error(doc: ParsedInvoice, message: str) -> dict[str, str]:
    return {
        "numeroDP": doc.number or "",
        "identifiantFournisseur": doc.supplier_siret or "",
        "identifiantDestinataire": doc.recipient_siret or "",
        "libelleErreurDP": message,
    }
