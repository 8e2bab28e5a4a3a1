"""Accepting invoices from the ERP: every check at once, then stored and queued together."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.formats.parse import ParsedInvoice, UnreadableInvoiceFile, parse_invoice_file
from app.intake.posted import PostedInvoice, SuppliedFile
from app.intake.repository import IntakeRepository
from app.intake.schemas import ValidationReport
from app.invoices import history
from app.invoices.lifecycle import EventSource, InvoiceStatus
from app.kit.errors import Conflict, FieldError, Unprocessable
from app.kit.ids import uuid7
from app.kit.time import utcnow
from app.models.invoice import Invoice, InvoiceFile
from app.submission.scheduling import request_submission
from app.suppliers.service import supplier_service
from app.validation import validate

DirectoryCheck = Callable[[InvoiceDocument], Awaitable[list[FieldError]]]
"""The recipient's directory requirements, checked against an invoice (app.directory)."""
# Chorus Pro compares the invoice date with its own (French) calendar day.
CHORUS_ZONE = ZoneInfo("Europe/Paris")
ACCEPTED_COMMENT = "Invoice accepted"


@dataclass(frozen=True)
class IntakePolicy:
    submit_grace: timedelta  # when the sweep takes an invoice whose first job was lost
    official_rules: Path | None  # the official CEN artefacts, run after our own rules

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakePolicy:
        return cls(settings.submit_sweep_after, settings.en16931_schematron_dir)


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was already used with another request body"


class DuplicateInvoiceNumber(Conflict):
    slug = "duplicate-invoice-number"
    title = "This supplier already sent an invoice with this number"


class InvoiceInvalid(Unprocessable):
    slug = "invoice-invalid"
    title = "The invoice would be refused by Chorus Pro or EN 16931"


def read_supplied_file(supplied: SuppliedFile) -> ParsedInvoice:
    try:
        return parse_invoice_file(supplied.content)
    except UnreadableInvoiceFile as exc:
        raise InvoiceInvalid("the file cannot be read as an invoice", errors=exc.errors) from exc


def request_hash(document: InvoiceDocument) -> str:
    return hashlib.sha256(document.model_dump_json().encode()).hexdigest()


def _duplicate(document: InvoiceDocument) -> DuplicateInvoiceNumber:
    return DuplicateInvoiceNumber(
        f"invoice number {document.number} is already used by supplier {document.supplier.siret}"
    )


class IntakeService:
    async def accept(
        self,
        session: AsyncSession,
        posted: PostedInvoice,
        idempotency_key: str,
        policy: IntakePolicy,
    ) -> tuple[Invoice, bool]:
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
            )
        return await self.create(session, posted, idempotency_key, policy)

    async def create(
        self,
        session: AsyncSession,
        document: InvoiceDocument,
        idempotency_key: str,
        policy: IntakePolicy,
        *,
        original: SuppliedFile | None = None,
        original_syntax: Syntax | None = None,
    ) -> tuple[Invoice, bool]:
        """Store the invoice and its submission job together; replay an identical request.

        `original` is a file the ERP built: its data were read into `document` for the
        checks, and the file itself is what goes to Chorus Pro, unchanged.
        """
        repository = IntakeRepository(session)
        digest = (
            hashlib.sha256(original.content).hexdigest() if original else request_hash(document)
        )
        existing = await repository.get_by_idempotency_key(idempotency_key)
        if existing is not None:
            return self._replay(existing, digest), False

        await self._refuse_if_invalid(document, policy)
        if await repository.number_in_use(document.supplier.siret, document.number):
            raise _duplicate(document)

        syntax = original_syntax or await supplier_service.syntax_for(
            session, document.supplier.siret, document.syntax
        )
        totals = document.compute_totals()
        now = utcnow()
        invoice = Invoice(
            id=uuid7(),
            idempotency_key=idempotency_key,
            request_hash=digest,
            number=document.number,
            type_code=document.type_code,
            supplier_siret=document.supplier.siret,
            recipient_siret=document.recipient.siret,
            service_code=document.service_code,
            engagement_number=document.engagement_number,
            issue_date=document.issue_date,
            due_date=document.due_date,
            currency=document.currency,
            total_without_vat=totals.tax_exclusive,
            total_vat=totals.tax,
            total_with_vat=totals.tax_inclusive,
            amount_due=totals.payable,
            document=document.model_dump(mode="json"),
            syntax=syntax.value,
            status=InvoiceStatus.ACCEPTED.value,
            status_changed_at=now,
            status_comment=ACCEPTED_COMMENT,
            next_submit_at=now + policy.submit_grace,
            created_at=now,
            updated_at=now,
            version=1,
        )
        try:
            async with session.begin_nested():
                repository.add(invoice)
                await session.flush()
        except IntegrityError as exc:
            return await self._resolve_race(session, exc, document, idempotency_key, digest), False
        if original is not None:
            repository.add(
                InvoiceFile(
                    invoice_id=invoice.id,
                    file_name=original.file_name[:200],
                    syntax=syntax.value,
                    sha256=digest,
                    content=original.content,
                )
            )
        await history.record_created(session, invoice, source=EventSource.ERP)
        request_submission(session, invoice)
        return invoice, True

    async def _refuse_if_invalid(
        self,
        document: InvoiceDocument,
        policy: IntakePolicy,
        directory: DirectoryCheck | None = None,
    ) -> None:
        """Every rule at once: the ERP gets the whole list of what to fix.

        The rules run in a thread: with the official schematron configured they take tens
        of milliseconds, too long to hold the event loop.
        """
        errors = await asyncio.to_thread(
            validate,
            document,
            today=datetime.now(CHORUS_ZONE).date(),
            official_rules=policy.official_rules,
        )
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
    ) -> ValidationReport:
        """The checks `create` runs, and the directory's that the worker runs before sending,
        without storing anything; returns the XML that would be sent."""
        if isinstance(posted, SuppliedFile):
            parsed = read_supplied_file(posted)
            await self._refuse_if_invalid(parsed.document, policy, directory)
            return ValidationReport(
                syntax=parsed.syntax.value,
                file_name=posted.file_name,
                xml=parsed.xml.decode("utf-8"),
            )
        await self._refuse_if_invalid(posted, policy, directory)
        syntax = await supplier_service.syntax_for(session, posted.supplier.siret, posted.syntax)
        # A Factur-X PDF carries exactly the CII XML; the XML is what the ERP wants to see.
        xml_syntax = Syntax.CII_D16B if syntax is Syntax.FACTURX else syntax
        rendered = render(posted, xml_syntax)
        return ValidationReport(
            syntax=syntax.value, file_name=rendered.file_name, xml=rendered.content.decode("utf-8")
        )

    def _replay(self, existing: Invoice, digest: str) -> Invoice:
        if existing.request_hash != digest:
            raise IdempotencyKeyReused(
                "send a new Idempotency-Key for a different invoice, or the same body to replay"
            )
        return existing

    async def _resolve_race(
        self,
        session: AsyncSession,
        exc: IntegrityError,
        document: InvoiceDocument,
        idempotency_key: str,
        digest: str,
    ) -> Invoice:
        """A concurrent request committed first: same key replays, same number conflicts."""
        existing = await IntakeRepository(session).get_by_idempotency_key(idempotency_key)
        if existing is not None:
            return self._replay(existing, digest)
        if "uq_invoices_supplier_number" in str(exc.orig):
            raise _duplicate(document) from exc
        raise exc


intake_service = IntakeService()
