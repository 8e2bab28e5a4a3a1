"""What the ERP can do about an invoice on Chorus Pro: complete, recycle, replace.

Complete and recycle call Chorus Pro **synchronously**, inside the request, with a deadline:
they answer a person who is fixing an invoice now, and the useful answer is Chorus's own
verdict (accepted, or refused with its reason, e.g. "not suspended any more"), which a
queued job could only report later through a webhook. The calls are few and rare, and the
attachments need not be stored. No transaction is open during them: one short unit of work
checks the invoice, the calls run outside any, and a second one records the outcome. If
Chorus does not answer, the caller gets 503: the action may or may not have been applied;
the status sync will show it (COMPLETEE / MISE_A_DISPOSITION) and Chorus refuses a second
completion or recycling, so a retry is harmless.

Replace calls nothing: it creates the corrected invoice through the usual path (stored and
queued in the request's transaction) and links the two invoices both ways.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.principal import Principal
from app.actions.schemas import AttachmentUpload, CompleteRequest, RecycleRequest
from app.chorus import (
    ChorusError,
    ChorusFunctionalError,
    ChorusUnavailableError,
    PieceJointeComplementaire,
)
from app.document import InvoiceDocument
from app.intake.posted import PostedInvoice
from app.intake.service import IntakePolicy, intake_service
from app.invoices import history
from app.invoices.lifecycle import FINAL_STATUSES, EventSource, InvoiceStatus
from app.invoices.service import InvoiceDetail, invoice_service
from app.kit.actors import Actor
from app.kit.db import Units
from app.kit.errors import AppError, Conflict, FieldError, Unprocessable
from app.models.invoice import Invoice
from app.suppliers.clients import ChorusClients
from app.tracking import observations

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # ajouterFichierDansSysteme (API.md 5.4)
# Extensions Chorus Pro accepts for attachments (API.md 5.4, from OCA).
ALLOWED_EXTENSIONS = frozenset(
    {
        *("BMP", "GIF", "FAX", "ODT", "PPT", "TIFF", "XLS", "BZ2", "GZ", "JPEG", "P7S", "RTF"),
        *("TXT", "XML", "CSV", "GZIP", "JPG", "PDF", "SVG", "XHTML", "XLSX", "DOC", "HTM"),
        *("ODP", "PNG", "TGZ", "XLC", "ZIP", "DOCX", "HTML", "ODS", "PPS", "TIF", "XLM", "PPTX"),
    }
)


class InvoiceNotSuspended(Conflict):
    slug = "invoice-not-suspended"
    title = "Only an invoice suspended on Chorus Pro (SUSPENDUE) can be completed"


class InvoiceNotToRecycle(Conflict):
    slug = "invoice-not-to-recycle"
    title = "Only an invoice Chorus Pro asks to recycle (A_RECYCLER) can be recycled"


class InvoiceNotRejected(Conflict):
    slug = "invoice-not-rejected"
    title = "Only a rejected invoice can be replaced"


class InvoiceAlreadyReplaced(Conflict):
    slug = "invoice-already-replaced"
    title = "This invoice was already replaced"


class ReplacementNumberReused(Conflict):
    slug = "replacement-number-reused"
    title = "A replacement invoice needs a new number"


class ReplacementSupplierChanged(Unprocessable):
    slug = "replacement-supplier-changed"
    title = "A replacement invoice must come from the same supplier"


class ChorusRefusedAction(Unprocessable):
    slug = "chorus-refused-action"
    title = "Chorus Pro refused the action"


class ChorusUnavailable(AppError):
    status = 503
    slug = "chorus-unavailable"
    title = "Chorus Pro did not answer; the action may or may not have been applied"


class ChorusBadGateway(AppError):
    status = 502
    slug = "chorus-error"
    title = "Chorus Pro answered in a way the gateway cannot use"


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content: bytes
    mime_type: str
    designation: str

    @property
    def extension(self) -> str:
        return self.file_name.rpartition(".")[2].upper()


def decode_attachments(uploads: Sequence[AttachmentUpload]) -> list[Attachment]:
    """Every attachment problem at once, with the field that has it."""
    errors: list[FieldError] = []
    decoded: list[Attachment] = []
    for i, upload in enumerate(uploads):
        where = f"attachments[{i}]"
        extension = upload.file_name.rpartition(".")[2].upper()
        if extension not in ALLOWED_EXTENSIONS:
            errors.append(FieldError(field=f"{where}.file_name", message="extension refused"))
        try:
            content = base64.b64decode(upload.content, validate=True)
        except (binascii.Error, ValueError):
            errors.append(FieldError(field=f"{where}.content", message="not valid base64"))
            continue
        if not content or len(content) > MAX_ATTACHMENT_BYTES:
            errors.append(FieldError(field=f"{where}.content", message="empty or over 10 MB"))
            continue
        mime = upload.mime_type or mimetypes.guess_type(upload.file_name)[0]
        designation = upload.designation or upload.file_name
        decoded.append(
            Attachment(upload.file_name, content, mime or "application/octet-stream", designation)
        )
    if errors:
        raise Unprocessable(f"{len(errors)} attachment problem(s)", errors=errors)
    return decoded


def _as_problem(exc: ChorusError) -> AppError:
    if isinstance(exc, ChorusFunctionalError):
        return ChorusRefusedAction(str(exc))
    if isinstance(exc, ChorusUnavailableError):
        return ChorusUnavailable(str(exc))
    return ChorusBadGateway(str(exc))


class ActionService:
    async def complete(
        self,
        units: Units,
        clients: ChorusClients,
        invoice_id: uuid.UUID,
        request: CompleteRequest,
        *,
        deadline: timedelta,
        principal: Principal,
    ) -> None:
        """Upload each attachment (ajouterFichierDansSysteme), then completerFacture."""
        if not request.attachments and not request.comment:
            raise Unprocessable(
                errors=[FieldError(field="(body)", message="give a comment or attachments")]
            )
        attachments = decode_attachments(request.attachments)
        chorus_id, supplier = await self._chorus_id(
            units, invoice_id, "SUSPENDUE", InvoiceNotSuspended, principal
        )
        chorus = await clients.for_supplier(supplier)
        actor = principal.actor
        pieces: list[PieceJointeComplementaire] = []
        try:
            async with asyncio.timeout(deadline.total_seconds()):
                for attachment in attachments:
                    added = await chorus.add_file(
                        attachment.content,
                        attachment.file_name,
                        attachment.mime_type,
                        attachment.extension,
                    )
                    pieces.append(
                        PieceJointeComplementaire(
                            designation=attachment.designation[:100],
                            piece_jointe_id=added.piece_jointe_id,
                        )
                    )
                answer = await chorus.complete_invoice(chorus_id, request.comment, pieces)
        except (ChorusError, TimeoutError) as exc:
            error = exc if isinstance(exc, ChorusError) else _timed_out("completerFacture")
            await self._record(
                units,
                invoice_id,
                f"Completion failed: {error}",
                {"action": "complete"},
                actor=actor,
            )
            raise _as_problem(error) from exc
        comment = "Completed on Chorus Pro"
        if request.comment:
            comment += f": {request.comment}"
        details = {
            "action": "complete",
            "attachments": [p.to_wire() for p in pieces],
            "dateTraitement": answer.date_traitement.isoformat()
            if answer.date_traitement
            else None,
        }
        await self._record(units, invoice_id, comment, details, follow=True, actor=actor)

    async def recycle(
        self,
        units: Units,
        clients: ChorusClients,
        invoice_id: uuid.UUID,
        request: RecycleRequest,
        *,
        deadline: timedelta,
        principal: Principal,
    ) -> None:
        """recyclerFacture with the new routing, then the same routing on our invoice."""
        chorus_id, supplier = await self._chorus_id(
            units, invoice_id, "A_RECYCLER", InvoiceNotToRecycle, principal
        )
        chorus = await clients.for_supplier(supplier)
        actor = principal.actor
        try:
            async with asyncio.timeout(deadline.total_seconds()):
                await chorus.recycle_invoice(
                    chorus_id,
                    request.recipient_siret,
                    request.service_code,
                    request.engagement_number,
                    request.comment,
                )
        except (ChorusError, TimeoutError) as exc:
            error = exc if isinstance(exc, ChorusError) else _timed_out("recyclerFacture")
            await self._record(
                units, invoice_id, f"Recycling failed: {error}", {"action": "recycle"}, actor=actor
            )
            raise _as_problem(error) from exc
        async with units() as session:
            invoice = await self._locked(session, invoice_id, principal)
            before = _routing(invoice)
            if invoice.recipient_siret != request.recipient_siret:
                invoice.recipient_reports_payment = None  # the new recipient's is not known
            invoice.recipient_siret = request.recipient_siret
            invoice.service_code = request.service_code
            if request.engagement_number is not None:
                invoice.engagement_number = request.engagement_number
            comment = f"Recycled on Chorus Pro to {request.recipient_siret}"
            if request.comment:
                comment += f": {request.comment}"
            details = {"action": "recycle", "from": before, "to": _routing(invoice)}
            await self._append(session, invoice, comment, details, follow=True, actor=actor)

    async def replace(
        self,
        session: AsyncSession,
        invoice_id: uuid.UUID,
        posted: PostedInvoice,
        idempotency_key: str,
        policy: IntakePolicy,
        principal: Principal,
    ) -> tuple[InvoiceDetail, bool]:
        """Create the corrected invoice (new number) and link it with the rejected one."""
        old = await self._locked(session, invoice_id, principal)
        if old.status != InvoiceStatus.REJECTED:
            raise InvoiceNotRejected(f"invoice {old.number} is {old.status}")
        if isinstance(posted, InvoiceDocument) and posted.number == old.number:
            raise ReplacementNumberReused(f"{old.number} is the rejected invoice's number")
        accepted, created = await intake_service.accept(
            session, posted, idempotency_key, policy, replaces=old.id, principal=principal
        )
        new = accepted.invoice
        if not created:
            if new.replaces_invoice_id == old.id:
                return accepted, False  # the same request again
            raise InvoiceAlreadyReplaced("this Idempotency-Key belongs to another invoice")
        if old.replaced_by_invoice_id is not None:
            raise InvoiceAlreadyReplaced(f"already replaced by {old.replaced_by_invoice_id}")
        if new.number == old.number:
            raise ReplacementNumberReused(f"{old.number} is the rejected invoice's number")
        if new.supplier_siret != old.supplier_siret:
            raise ReplacementSupplierChanged(
                errors=[FieldError(field="supplier.siret", message=f"must be {old.supplier_siret}")]
            )
        old.replaced_by_invoice_id = new.id
        await self._append(
            session,
            old,
            f"Replaced by invoice {new.number}",
            {"action": "replace", "by": str(new.id)},
            actor=principal.actor,
        )
        await self._append(
            session,
            new,
            f"Replaces rejected invoice {old.number}",
            {"action": "replace", "replaces": str(old.id)},
            actor=principal.actor,
        )
        await session.flush()
        return await invoice_service.get_detail(session, new.id, principal.suppliers), True

    async def _chorus_id(
        self,
        units: Units,
        invoice_id: uuid.UUID,
        wanted: str,
        refusal: type[Conflict],
        principal: Principal,
    ) -> tuple[int, str]:
        """The invoice's Chorus Pro id and its supplier, once it is in the wanted status."""
        async with units() as session:
            invoice = await invoice_service.get(session, invoice_id, principal.suppliers)
            if invoice.chorus_status != wanted or invoice.chorus_invoice_id is None:
                raise refusal(
                    f"invoice {invoice.number} is {invoice.chorus_status or invoice.status}"
                )
            return invoice.chorus_invoice_id, invoice.supplier_siret

    async def _locked(
        self, session: AsyncSession, invoice_id: uuid.UUID, principal: Principal | None = None
    ) -> Invoice:
        suppliers = principal.suppliers if principal is not None else None
        return await invoice_service.get_for_update(session, invoice_id, suppliers)

    async def _record(
        self,
        units: Units,
        invoice_id: uuid.UUID,
        comment: str,
        details: dict[str, Any],
        *,
        follow: bool = False,
        actor: Actor | None = None,
    ) -> None:
        async with units() as session:
            invoice = await self._locked(session, invoice_id)
            await self._append(session, invoice, comment, details, follow=follow, actor=actor)

    async def _append(
        self,
        session: AsyncSession,
        invoice: Invoice,
        comment: str,
        details: dict[str, Any],
        *,
        follow: bool = False,
        actor: Actor | None = None,
    ) -> None:
        """A history line for the action; its effect on Chorus comes back through the sync."""
        await history.record(
            session,
            invoice,
            InvoiceStatus(invoice.status),
            source=EventSource.ERP,
            comment=comment,
            details=details,
            actor=actor,
        )
        if follow and not invoice.followed and invoice.status not in FINAL_STATUSES:
            await observations.follow(session, invoice, since=None)


def _routing(invoice: Invoice) -> dict[str, str | None]:
    return {
        "recipient_siret": invoice.recipient_siret,
        "service_code": invoice.service_code,
        "engagement_number": invoice.engagement_number,
    }


def _timed_out(operation: str) -> ChorusUnavailableError:
    return ChorusUnavailableError("no answer before the deadline", operation=operation)


action_service = ActionService()
