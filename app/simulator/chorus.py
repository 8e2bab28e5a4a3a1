"""The Chorus Pro operations the gateway uses, as seen by a supplier's technical account.

Each handler gets a parsed JSON object and returns the HTTP answer; gateway checks (token,
cpro-account, route, faults) already happened in `gateway.py`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from app.simulator import payloads as p
from app.simulator.archives import read_flux
from app.simulator.clock import DateFormats
from app.simulator.documents import INTERFACE_CODES, DocumentError, ParsedInvoice
from app.simulator.scenarios import (
    Prefix,
    completed_path,
    prefix_of,
    recipient_for,
    recycled_path,
    structure_id,
)
from app.simulator.state import InvoiceRecord, SimulatorState
from app.simulator.views import OK_GCU, OK_TRA, cr, cr_detaille, history, invoice_item

logger = logging.getLogger(__name__)

# Functional errors. Only the GDP_MSG_11.* pairs come from sources (API.md 5.2); SIM_* are ours.
FLUX_TOO_LARGE = (20001, "GDP_MSG_11.022")
SYNTAX_NOT_SUPPORTED = (20002, "SIM_MSG_SYNTAXE_FLUX_NON_SUPPORTEE")
FLUX_NOT_BASE64 = (20003, "SIM_MSG_FICHIER_FLUX_INVALIDE")
UNKNOWN_FLUX = (20000, "TRA_MSG_00.015")
NO_RESULT = (20000, "TRA_MSG_00.015")
UNKNOWN_INVOICE = (20000, "GDP_MSG_11.008")
NOT_SUSPENDED = (20002, "GDP_MSG_11.033")
NOT_TO_RECYCLE = (20004, "SIM_MSG_STATUT_NON_A_RECYCLER")
BAD_RECIPIENT = (20005, "SIM_MSG_DESTINATAIRE_INVALIDE")
ATTACHMENT_INVALID = (20001, "SIM_MSG_FICHIER_INVALIDE")
ATTACHMENT_TOO_LARGE = (20003, "SIM_MSG_FICHIER_TROP_VOLUMINEUX")  # code: API.md 3.9 [S]
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_NAME = 50

MAX_PAGE_SIZE = 10_000
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Context:
    state: SimulatorState
    fmt: DateFormats

    def functional_error(self, kind: tuple[int, str]) -> JSONResponse:
        code, libelle = kind
        status = self.state.settings.functional_error_http_status
        return JSONResponse({"codeRetour": code, "libelle": libelle}, status_code=status)


Handler = Callable[[Context, dict[str, Any]], Awaitable[Response]]


async def deposer_flux(ctx: Context, body: dict[str, Any]) -> Response:
    encoded = p.required_str(body, "fichierFlux")
    file_name = p.required_str(body, "nomFichier")
    syntax = p.required_str(body, "syntaxeFlux")
    p.optional_bool(body, "avecSignature")
    p.optional_int(body, "idUtilisateurCourant")
    settings = ctx.state.settings
    if syntax not in INTERFACE_CODES:
        return ctx.functional_error(SYNTAX_NOT_SUPPORTED)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return ctx.functional_error(FLUX_NOT_BASE64)
    if not data:
        return ctx.functional_error(FLUX_NOT_BASE64)
    if len(data) > settings.max_flux_bytes:
        return ctx.functional_error(FLUX_TOO_LARGE)

    content: list[ParsedInvoice] | DocumentError
    try:
        content = await asyncio.to_thread(
            read_flux, data, syntax, file_name, settings.max_archive_bytes
        )
    except DocumentError as exc:
        content = exc
    first_number = content[0].number if isinstance(content, list) else None

    async with ctx.state.lock:
        refusal = ctx.state.refusal_for(first_number)
        if refusal is not None:
            retry = refusal.retry_after
            headers = {} if retry is None else {"Retry-After": str(retry)}
            return Response(status_code=refusal.status, headers=headers)
        flux = ctx.state.deposit(syntax, file_name, content)
    logger.info("simulator: flux %s deposited (%s)", flux.number, syntax)

    prefix = prefix_of(first_number)
    if prefix is Prefix.SLOW:
        await asyncio.sleep(settings.slow_seconds)
    elif prefix is Prefix.LOST:
        return Response(status_code=504)
    return JSONResponse(
        {
            "codeRetour": 0,
            "libelle": OK_GCU,
            "numeroFluxDepot": flux.number,
            "dateDepot": ctx.fmt.day(flux.received_at),
            "syntaxeFlux": syntax,
        }
    )


async def consulter_cr_detaille(ctx: Context, body: dict[str, Any]) -> Response:
    number = p.required_str(body, "numeroFluxDepot")
    p.optional_str(body, "syntaxeFlux")
    async with ctx.state.lock:
        flux = ctx.state.fluxes.get(number)
        if flux is None:
            return ctx.functional_error(UNKNOWN_FLUX)
        return JSONResponse(cr_detaille(flux, ctx.state.now(), ctx.fmt))


async def consulter_cr(ctx: Context, body: dict[str, Any]) -> Response:
    number = p.required_str(body, "numeroFluxDepot")
    p.optional_str(body, "syntaxeFlux")
    p.optional_str(body, "dateDepot")
    async with ctx.state.lock:
        flux = ctx.state.fluxes.get(number)
        if flux is None:
            return ctx.functional_error(UNKNOWN_FLUX)
        return JSONResponse(cr(flux, ctx.state.now(), ctx.fmt))


def _instant(ctx: Context, body: dict[str, Any], name: str) -> datetime | None:
    text = p.optional_str(body, name)
    if text is None:
        return None
    try:
        return ctx.fmt.parse_instant(text)
    except ValueError as exc:
        raise p.BadRequest(p.INVALID_FIELD, f"{name} : date-heure ISO 8601 attendue") from exc


def _day(body: dict[str, Any], name: str) -> date | None:
    text = p.optional_str(body, name)
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise p.BadRequest(p.INVALID_FIELD, f"{name} : date AAAA-MM-JJ attendue") from exc


def _search_filter(ctx: Context, body: dict[str, Any]) -> Callable[[InvoiceRecord], bool]:
    """Criteria of rechercherFactureParFournisseur; absent criteria match everything."""
    now = ctx.state.now()
    flux = p.optional_str(body, "numeroFluxDepot")
    number = p.optional_str(body, "numeroFacture")
    statuses = set(p.optional_str_list(body, "statutCourant"))
    kind = p.optional_str(body, "typeFacture")
    supplier_id = p.optional_int(body, "idFournisseur")
    changed_from = _instant(ctx, body, "periodeDateHeureEtatCourantDu")
    changed_to = _instant(ctx, body, "periodeDateHeureEtatCourantAu")
    deposit_from = _day(body, "periodeDateDepotDu")
    deposit_to = _day(body, "periodeDateDepotAu")

    def keep(invoice: InvoiceRecord) -> bool:
        if not invoice.visible(now):
            return False
        current = invoice.current(now)
        deposited = ctx.fmt.local_date(invoice.deposited_at)
        checks = (
            flux is None or invoice.flux_number == flux,
            number is None or invoice.number == number,
            not statuses or current.code in statuses,
            kind is None or invoice.document.kind == kind,
            supplier_id is None or structure_id(invoice.supplier_siret) == supplier_id,
            changed_from is None or current.at >= changed_from,
            changed_to is None or current.at < changed_to,
            deposit_from is None or deposited >= deposit_from,
            deposit_to is None or deposited <= deposit_to,
        )
        return all(checks)

    return keep


async def rechercher_fournisseur(ctx: Context, body: dict[str, Any]) -> Response:
    paging = p.optional_object(body, "rechercheFactureParFournisseur")
    page_size = p.positive_int(paging, "nbResultatsParPage", 10, MAX_PAGE_SIZE)
    page = p.positive_int(paging, "pageResultatDemandee", 1, MAX_PAGE)
    async with ctx.state.lock:
        keep = _search_filter(ctx, body)
        now = ctx.state.now()
        found = [inv for _, inv in sorted(ctx.state.invoices.items()) if keep(inv)]
        items = [
            invoice_item(inv, now, ctx.fmt) for inv in found[(page - 1) * page_size :][:page_size]
        ]
    code, libelle = 0, OK_TRA
    if not found and ctx.state.settings.empty_search_returns_20000:
        code, libelle = NO_RESULT
    answer = {
        "codeRetour": code,
        "libelle": libelle,
        "listeFactures": items,
        "parametresRetour": {
            "nbResultatsParPage": page_size,
            "pageCourante": page,
            "pages": math.ceil(len(found) / page_size),
            "total": len(found),
        },
    }
    status = 200 if code == 0 else ctx.state.settings.functional_error_http_status
    return JSONResponse(answer, status_code=status)


async def consulter_historique(ctx: Context, body: dict[str, Any]) -> Response:
    invoice_id = p.required_int(body, "idFacture")
    paging = p.optional_object(body, "paramRechercheHistoStatuts")
    page_size = p.positive_int(paging, "nbResultatsParPageListeHistoStatut", 10, MAX_PAGE_SIZE)
    page = p.positive_int(paging, "pageResultatDemandeeListeHistoStatut", 1, MAX_PAGE)
    async with ctx.state.lock:
        invoice = ctx.state.visible_invoice(invoice_id)
        if invoice is None:
            return ctx.functional_error(UNKNOWN_INVOICE)
        return JSONResponse(history(invoice, ctx.state.now(), ctx.fmt, page_size, page))


async def completer(ctx: Context, body: dict[str, Any]) -> Response:
    invoice_id = p.required_int(body, "identifiantFactureCPP")
    comment = p.optional_str(body, "commentaire") or ""
    pieces = [_piece(item) for item in p.optional_list(body, "pieceJointeComplementaire")]
    state = ctx.state
    async with state.lock:
        invoice = state.visible_invoice(invoice_id)
        if invoice is None:
            return ctx.functional_error(UNKNOWN_INVOICE)
        if state.awaiting_supplier(invoice) != "SUSPENDUE":
            return ctx.functional_error(NOT_SUSPENDED)
        for piece_id, designation in pieces:
            # Real Chorus's answer to an id it never issued is unknown: accept and flag it.
            known = state.attachments.get(piece_id, {"pieceJointeId": piece_id, "inconnue": True})
            invoice.attachments.append({**known, "designation": designation})
        now = state.now()
        state.plan(invoice, completed_path(invoice.recipient, now, state.step, comment))
    return JSONResponse(
        {
            "codeRetour": 0,
            "libelle": OK_GCU,
            "identifiantFactureCPP": invoice.id,
            "numeroFacture": invoice.number,
            "dateTraitement": ctx.fmt.minute(now),
        }
    )


def _piece(item: object) -> tuple[int, str]:
    """(pieceJointeComplementaireId, designation) of one completerFacture attachment."""
    if not isinstance(item, dict):
        raise p.BadRequest(p.INVALID_FIELD, "pieceJointeComplementaire : liste d'objets attendue")
    designation = p.optional_str(item, "pieceJointeComplementaireDesignation") or ""
    return p.required_int(item, "pieceJointeComplementaireId"), designation


async def ajouter_fichier(ctx: Context, body: dict[str, Any]) -> Response:
    """ajouterFichierDansSysteme (API.md 3.9): keeps the file's metadata, not its bytes."""
    encoded = p.required_str(body, "pieceJointeFichier")
    name = p.required_str(body, "pieceJointeNom")
    mime = p.required_str(body, "pieceJointeTypeMime")
    extension = p.required_str(body, "pieceJointeExtension")
    p.optional_int(body, "idUtilisateurCourant")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return ctx.functional_error(ATTACHMENT_INVALID)
    stem, _, suffix = name.rpartition(".")
    if not data or len(name) > MAX_ATTACHMENT_NAME or not stem or not suffix:
        return ctx.functional_error(ATTACHMENT_INVALID)
    if len(data) > MAX_ATTACHMENT_BYTES:
        return ctx.functional_error(ATTACHMENT_TOO_LARGE)
    async with ctx.state.lock:
        piece_id = ctx.state.add_attachment(name, mime, extension, len(data))
    return JSONResponse({"codeRetour": 0, "libelle": OK_GCU, "pieceJointeId": piece_id})


async def recycler(ctx: Context, body: dict[str, Any]) -> Response:
    invoice_id = p.required_int(body, "identifiantFactureCPP")
    routing = p.optional_object(body, "destinataire")
    new_siret = p.required_str(routing, "codeDestinataire").strip()
    new_service = p.optional_str(routing, "codeServiceExecutant")
    new_engagement = p.optional_str(p.optional_object(body, "reference"), "numeroBonCommande")
    comment = p.optional_str(body, "commentaire") or ""
    state = ctx.state
    async with state.lock:
        invoice = state.visible_invoice(invoice_id)
        if invoice is None:
            return ctx.functional_error(UNKNOWN_INVOICE)
        if state.awaiting_supplier(invoice) != "A_RECYCLER":
            return ctx.functional_error(NOT_TO_RECYCLE)
        if not (len(new_siret) == 14 and new_siret.isdigit()):
            return ctx.functional_error(BAD_RECIPIENT)
        invoice.recipient = recipient_for(new_siret)
        invoice.service_code = new_service or None
        if new_engagement is not None:
            invoice.engagement = new_engagement or None
        now = state.now()
        state.plan(invoice, recycled_path(invoice.recipient, now, state.step, comment))
    return JSONResponse(
        {
            "codeRetour": 0,
            "libelle": OK_GCU,
            "identifiantFactureCPP": invoice.id,
            "numeroFacture": invoice.number,
            "statutFacture": "MISE_A_DISPOSITION",
            "dateDepot": ctx.fmt.day(invoice.deposited_at),
        }
    )


async def health_check(ctx: Context, body: dict[str, Any]) -> Response:
    """Shape from the chorus-api / go-choruspro models; unconfirmed (API.md 9.6)."""
    return JSONResponse({"body": "ok", "statusCodeValue": 200, "statusCode": "OK"})


@dataclass(frozen=True)
class Operation:
    nickname: str
    method: str
    handler: Handler


# Paths relative to /cpro/ (API.md section 3); the directory ones are in structures.py.
INVOICE_OPERATIONS: dict[str, Operation] = {
    "factures/v1/deposer/flux": Operation("deposerFluxFacture", "POST", deposer_flux),
    "transverses/v1/consulterCR": Operation("consulterCR", "POST", consulter_cr),
    "transverses/v1/consulterCRDetaille": Operation(
        "consulterCRDetaille", "POST", consulter_cr_detaille
    ),
    "factures/v1/rechercher/fournisseur": Operation(
        "rechercherFactureParFournisseur", "POST", rechercher_fournisseur
    ),
    "factures/v1/consulter/historique": Operation(
        "consulterHistoriqueFacture", "POST", consulter_historique
    ),
    "factures/v1/completer": Operation("completerFacture", "POST", completer),
    "factures/v1/recycler": Operation("recyclerFacture", "POST", recycler),
    "transverses/v1/ajouter/fichier": Operation(
        "ajouterFichierDansSysteme", "POST", ajouter_fichier
    ),
    "transverses/v1/health-check": Operation("healthCheck", "GET", health_check),
}
