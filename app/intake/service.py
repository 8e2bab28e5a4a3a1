"""Accepting invoices from the ERP: every check at once, then stored and queued together."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.principal import Principal
from app.config import Settings
from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.formats.parse import ParsedInvoice, UnreadableInvoiceFile, parse_invoice_file
from app.formats.xml import parse_xml
from app.intake.posted import PostedInvoice, SuppliedFile
from app.intake.repository import FirstRows, IntakeRepository
from app.intake.schemas import ValidationReport
from app.invoices import history
from app.invoices.lifecycle import EventSource, InvoiceStatus
from app.invoices.service import InvoiceDetail, invoice_service
from app.kit.errors import Conflict, FieldError, SupplierNotAllowed, Unprocessable
from app.kit.ids import uuid7
from app.kit.time import utcnow
from app.models.invoice import Invoice, InvoiceEvent
from app.submission.scheduling import request_submission_of
from app.suppliers.service import DEFAULT_SYNTAX, supplier_service
from app.validation import official_rules, validate

DirectoryCheck = Callable[[InvoiceDocument], Awaitable[list[FieldError]]]
"""The recipient's directory requirements, checked against an invoice (app.directory)."""
# Chorus Pro compares the invoice date with its own (French) calendar day.
CHORUS_ZONE = ZoneInfo("Europe/Paris")
ACCEPTED_COMMENT = "Invoice accepted"
INSERT_ATTEMPTS = 3


@dataclass(frozen=True)
class IntakePolicy:
    submit_grace: timedelta  # when the sweep takes an invoice whose first job was lost
    official_rules: Path | None  # a newer release of the official artefacts; None: bundled
    official_at_intake: bool = False  # POST runs them too, not only /validate and the worker

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakePolicy:
        at_intake = settings.official_rules_at_intake
        if at_intake is None:
            at_intake = settings.en16931_schematron_dir is not None
        return cls(settings.submit_sweep_after, settings.en16931_schematron_dir, at_intake)


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was already used with another request body"


class DuplicateInvoiceNumber(Conflict):
    slug = "duplicate-invoice-number"
    title = "This supplier already sent an invoice with this number"


UNKNOWN_SUPPLIER = FieldError(
    field="supplier.siret",
    message="not a supplier of this gateway (add it: POST /v1/suppliers or "
    "`chorus-gateway suppliers add`)",
    message_fr="ce fournisseur n'est pas configuré dans la passerelle",
)


class InvoiceInvalid(Unprocessable):
    slug = "invoice-invalid"
    title = "The invoice would be refused by Chorus Pro or EN 16931"


def read_supplied_file(supplied: SuppliedFile) -> ParsedInvoice:
    """The one way both routes read a file: per XML rules, in the encoding it declares."""
    try:
        return parse_invoice_file(supplied.content)
    except UnreadableInvoiceFile as exc:
        raise InvoiceInvalid("the file cannot be read as an invoice", errors=exc.errors) from exc


def xml_text(xml: bytes) -> str:
    """The XML as text, decoded as XML is (BOM, else the declaration's encoding, else UTF-8).

    The file was already parsed by the same rules, so its bytes decode; it is deposited
    unchanged, in its own encoding, which XML processors (Chorus Pro's) all read.
    """
    encoding = parse_xml(xml).getroottree().docinfo.encoding or "utf-8"
    return xml.decode(encoding)


@dataclass(frozen=True)
class NewInvoice:
    """An invoice just stored, as the values written (no entity): what the 202 shows.

    `values` are the `invoices` columns, the document among them as the JSON text stored.
    """

    values: dict[str, Any]
    document: InvoiceDocument
    first: FirstRows

    def history_line(self) -> dict[str, Any]:
        """The one history line, as `InvoiceEventRead` shows it."""
        return {
            "occurred_at": self.values["created_at"],
            "recorded_at": self.values["created_at"],
            "source": self.first.source,
            "status": self.values["status"],
            "chorus_status": None,
            "comment": self.values["status_comment"],
            "actor": self.first.actor,
        }

    def detail(self) -> InvoiceDetail:
        """The same invoice as entities, for callers that go on changing it."""
        invoice = Invoice(**{**self.values, "document": self.document.model_dump(mode="json")})
        event = InvoiceEvent(
            id=self.first.event_id,
            invoice_id=invoice.id,
            actor_id=self.first.actor_id,
            **self.history_line(),
        )
        return InvoiceDetail(invoice, [event], [])


def _duplicate(document: InvoiceDocument) -> DuplicateInvoiceNumber:
    return DuplicateInvoiceNumber(
        f"invoice number {document.number} is already used by supplier {document.supplier.siret}"
    )


async def _refuse_if_officially_invalid(
    content: bytes, syntax: Syntax, policy: IntakePolicy
) -> None:
    """The official rules on the very bytes that would be deposited, off the event loop."""
    validator = official_rules(policy.official_rules)
    errors = await asyncio.to_thread(validator.check_deposit, content, syntax.value)
    if errors:
        raise InvoiceInvalid(f"{len(errors)} official EN 16931 rule(s) failed", errors=errors)


class IntakeService:
    async def accept(
        self,
        session: AsyncSession,
        posted: PostedInvoice,
        idempotency_key: str,
        policy: IntakePolicy,
        *,
        replaces: uuid.UUID | None = None,
        principal: Principal | None = None,
    ) -> tuple[InvoiceDetail, bool]:
        """`create` for either shape the ERP may post: a JSON invoice or its own file."""
        if isinstance(posted, SuppliedFile):
            parsed = read_supplied_file(posted)
            return await self.create(
                session,
                parsed.document,
                idempotency_key,
                policy,
                original=posted,
                original_syntax=parsed.syntax,
                replaces=replaces,
                principal=principal,
            )
        return await self.create(
            session, posted, idempotency_key, policy, replaces=replaces, principal=principal
        )

    async def create(
        self,
        session: AsyncSession,
        document: InvoiceDocument,
        idempotency_key: str,
        policy: IntakePolicy,
        *,
        original: SuppliedFile | None = None,
        original_syntax: Syntax | None = None,
        replaces: uuid.UUID | None = None,
        principal: Principal | None = None,
    ) -> tuple[InvoiceDetail, bool]:
        """`store`, the new invoice given as entities (for callers that go on changing it)."""
        stored = await self.store(
            session,
            document,
            idempotency_key,
            policy,
            original=original,
            original_syntax=original_syntax,
            replaces=replaces,
            principal=principal,
        )
        if isinstance(stored, InvoiceDetail):
            return stored, False
        return stored.detail(), True

    async def receive(
        self,
        session: AsyncSession,
        posted: PostedInvoice,
        idempotency_key: str,
        policy: IntakePolicy,
        *,
        principal: Principal | None = None,
    ) -> NewInvoice | InvoiceDetail:
        """`store` for either shape the ERP may post; the route's hot path (no entities)."""
        if isinstance(posted, SuppliedFile):
            parsed = read_supplied_file(posted)
            return await self.store(
                session,
                parsed.document,
                idempotency_key,
                policy,
                original=posted,
                original_syntax=parsed.syntax,
                principal=principal,
            )
        return await self.store(session, posted, idempotency_key, policy, principal=principal)

    async def store(
        self,
        session: AsyncSession,
        document: InvoiceDocument,
        idempotency_key: str,
        policy: IntakePolicy,
        *,
        original: SuppliedFile | None = None,
        original_syntax: Syntax | None = None,
        replaces: uuid.UUID | None = None,
        principal: Principal | None = None,
    ) -> NewInvoice | InvoiceDetail:
        """Store the invoice, its history and its event together; replay an identical request.

        A new invoice comes back as the values written, an identical earlier request as the
        invoice read back. `original` is a file the ERP built: its data were read into
        `document` for the checks, and the file itself is what goes to Chorus Pro,
        unchanged. The insert itself tells a new invoice from a replay or a number already
        used (one statement, no look-up first), which also makes concurrent identical
        requests wait for each other.
        """
        # One dump serves the request hash and the stored document (JSONB takes the text).
        document_json = document.model_dump_json()
        digest = (
            hashlib.sha256(original.content).hexdigest()
            if original
            else hashlib.sha256(document_json.encode()).hexdigest()
        )
        await self._refuse_if_invalid(session, document, policy, principal)
        totals = document.compute_totals()
        now = utcnow()
        values: dict[str, Any] = {
            "id": uuid7(),
            "idempotency_key": idempotency_key,
            "request_hash": digest,
            "number": document.number,
            "type_code": document.type_code,
            "supplier_siret": document.supplier.siret,
            "recipient_siret": document.recipient.siret,
            "service_code": document.service_code,
            "engagement_number": document.engagement_number,
            "issue_date": document.issue_date,
            "due_date": document.due_date,
            "currency": document.currency,
            "total_without_vat": totals.tax_exclusive,
            "total_vat": totals.tax,
            "total_with_vat": totals.tax_inclusive,
            "amount_due": totals.payable,
            "document": document_json,
            "syntax": (original_syntax or DEFAULT_SYNTAX).value,
            "status": InvoiceStatus.ACCEPTED.value,
            "status_changed_at": now,
            "status_comment": ACCEPTED_COMMENT,
            "reuses_number_allowed": False,
            "followed": False,
            "submit_attempts": 0,
            "poll_failures": 0,
            "next_submit_at": now + policy.submit_grace,
            "replaces_invoice_id": replaces,
            "has_original_file": original is not None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        actor = principal.actor if principal else None
        message = history.first_message(values)
        event_id = uuid7()
        first = FirstRows(
            event_id=event_id,
            source=EventSource.ERP,
            actor_id=actor.id if actor else None,
            actor=actor.name if actor else None,
            message_id=message.id,
            event_type=message.event_type,
            payload=message.payload,
            file_name=original.file_name[:200] if original else None,
            file_content=original.content if original else None,
        )
        repository = IntakeRepository(session)
        wanted = original_syntax.value if original_syntax else document.syntax
        for _ in range(INSERT_ATTEMPTS):
            stored = await repository.insert_new(values, first, wanted_syntax=wanted)
            if stored is not None:
                break
            replay = await self._replay_or_refuse(session, document, idempotency_key, digest)
            if replay is not None:
                return replay
        else:  # the conflicting row keeps vanishing: the number's, rolled back each time
            raise _duplicate(document)
        values["syntax"] = stored.syntax
        history.deliver_after_commit(session, stored.pending_deliveries)
        request_submission_of(session, values["id"])
        return NewInvoice(values, document, first)

    async def _refuse_if_invalid(
        self,
        session: AsyncSession,
        document: InvoiceDocument,
        policy: IntakePolicy,
        principal: Principal | None,
        directory: DirectoryCheck | None = None,
    ) -> None:
        """Every rule at once: the ERP gets the whole list of what to fix."""
        siret = document.supplier.siret
        if principal is not None and not principal.may_act_for(siret):
            raise SupplierNotAllowed(
                errors=[
                    FieldError(field="supplier.siret", message="this API key may not act for it")
                ]
            )
        today = datetime.now(CHORUS_ZONE).date()
        if not policy.official_at_intake:  # our rules alone take a fraction of a millisecond
            errors = validate(document, today=today)
        else:  # the official XSLTs take milliseconds: not on the event loop
            errors = await asyncio.to_thread(
                validate, document, today=today, official=official_rules(policy.official_rules)
            )
        if not await supplier_service.is_known(session, siret):
            errors.insert(0, UNKNOWN_SUPPLIER)
        if directory is not None:
            errors += await directory(document)
        if errors:
            raise InvoiceInvalid(f"{len(errors)} check(s) failed", errors=errors)

    async def dry_run(
        self,
        session: AsyncSession,
        posted: PostedInvoice,
        policy: IntakePolicy,
        directory: DirectoryCheck | None = None,
        principal: Principal | None = None,
    ) -> ValidationReport:
        """The checks `create` runs, and the directory's that the worker runs before sending,
        without storing anything; returns the XML that would be sent."""
        if isinstance(posted, SuppliedFile):
            parsed = read_supplied_file(posted)
            await self._refuse_if_invalid(session, parsed.document, policy, principal, directory)
            await _refuse_if_officially_invalid(posted.content, parsed.syntax, policy)
            return ValidationReport(
                syntax=parsed.syntax.value,
                file_name=posted.file_name,
                xml=xml_text(parsed.xml),
            )
        await self._refuse_if_invalid(session, posted, policy, principal, directory)
        syntax = await supplier_service.syntax_for(session, posted.supplier.siret, posted.syntax)
        # A Factur-X PDF carries exactly the CII XML; the XML is what the ERP wants to see.
        xml_syntax = Syntax.CII_D16B if syntax is Syntax.FACTURX else syntax
        rendered = render(posted, xml_syntax)
        await _refuse_if_officially_invalid(rendered.content, xml_syntax, policy)
        return ValidationReport(
            syntax=syntax.value, file_name=rendered.file_name, xml=rendered.content.decode("utf-8")
        )

    async def _replay_or_refuse(
        self, session: AsyncSession, document: InvoiceDocument, key: str, digest: str
    ) -> InvoiceDetail | None:
        """The insert met an existing invoice: this key's (a replay), or this number's.

        None when neither is there to be seen: the row met was in a transaction that rolled
        back (a request cancelled by its client), and the insert may be tried again. A
        number is only said to be used when its invoice can be read.
        """
        repository = IntakeRepository(session)
        existing = await repository.get_by_idempotency_key(key)
        if existing is None:
            if await repository.number_is_used(document.supplier.siret, document.number):
                raise _duplicate(document)
            return None
        if existing.request_hash != digest:
            raise IdempotencyKeyReused(
                "send a new Idempotency-Key for a different invoice, or the same body to replay"
            )
        return await invoice_service.get_detail(session, existing.id)


intake_service = IntakeService()
