"""Typed Chorus Pro operations for a supplier (API.md §3), on a caller-owned `httpx.AsyncClient`.

No database, no routes, no retries: failures come back as `ChorusError` subclasses and the
calling job decides what to do with them.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from app.chorus.auth import TokenProvider
from app.chorus.config import ChorusConfig
from app.chorus.errors import ChorusFunctionalError, ChorusProtocolError, ChorusUnavailableError
from app.chorus.responses import JsonObject
from app.chorus.schemas import (
    AjouterFichierResponse,
    ChorusModel,
    CompleterFactureResponse,
    ConsulterCRDetailleResponse,
    ConsulterHistoriqueResponse,
    ConsulterServiceResponse,
    ConsulterStructureResponse,
    DeposerFluxResponse,
    FactureFournisseur,
    HistoStatut,
    PagedResponse,
    PieceJointeComplementaire,
    RechercherFactureParFournisseurResponse,
    RechercherServicesResponse,
    RechercherStructureResponse,
    RecyclerFactureResponse,
    ServiceItem,
    StructureItem,
)
from app.chorus.transport import ChorusTransport

# "The search returned no result" (TRA_MSG_00.015). Seen on recipient searches; API.md §3.4
# says a client must accept it on the other searches too.
NO_RESULT = 20000
_SEARCH_CODES = frozenset({NO_RESULT})
HISTORY_PAGE_SIZE = 100
MAX_HISTORY_PAGES = 50  # a bound, should an answer never say it is the last page

M = TypeVar("M", bound=ChorusModel)
P = TypeVar("P", bound=PagedResponse)


class ChorusClient:
    """One instance per process, sharing the caller's `httpx.AsyncClient` and its timeouts."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: ChorusConfig,
        token_provider: TokenProvider | None = None,
    ) -> None:
        self._tokens = token_provider if token_provider is not None else TokenProvider(http, config)
        self._transport = ChorusTransport(http, config, self._tokens)

    def __repr__(self) -> str:
        return f"ChorusClient({self._transport!r})"

    @property
    def token_provider(self) -> TokenProvider:
        return self._tokens

    async def deposit_flux(
        self, content: bytes, file_name: str, syntax: str, *, signed: bool = False
    ) -> DeposerFluxResponse:
        """Deposit a flux (Factur-X, UBL, CII…); a flux number only means "received"."""
        operation = "deposerFluxFacture"
        body = {
            "fichierFlux": base64.b64encode(content).decode("ascii"),
            "nomFichier": file_name,
            "syntaxeFlux": syntax,
            "avecSignature": signed,
        }
        payload = await self._transport.call(operation, "factures/v1/deposer/flux", body)
        if not payload.get("numeroFluxDepot"):
            # Pastell's rule: a "successful" answer without a flux number is a refused deposit.
            raise ChorusFunctionalError(
                0, str(payload.get("libelle") or "no numeroFluxDepot"), operation=operation
            )
        return _parse(DeposerFluxResponse, operation, payload)

    async def get_flux_report(self, flux_number: str) -> ConsulterCRDetailleResponse:
        """Processing state of a deposited flux, with per-invoice and technical errors."""
        operation = "consulterCRDetaille"
        payload = await self._transport.call(
            operation, "transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux_number}
        )
        return _parse(ConsulterCRDetailleResponse, operation, payload)

    async def search_supplier_invoices(
        self,
        *,
        flux_number: str | None = None,
        invoice_number: str | None = None,
        status_changed_from: datetime | None = None,
        status_changed_to: datetime | None = None,
        statuses: list[str] | None = None,
        supplier_id: int | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[FactureFournisseur]:
        """Every matching invoice, walking all pages (Chorus pages by 10 unless told)."""
        criteria: JsonObject = {}
        if flux_number is not None:
            criteria["numeroFluxDepot"] = flux_number
        if invoice_number is not None:
            criteria["numeroFacture"] = invoice_number
        if status_changed_from is not None:
            criteria["periodeDateHeureEtatCourantDu"] = _iso(status_changed_from)
        if status_changed_to is not None:
            criteria["periodeDateHeureEtatCourantAu"] = _iso(status_changed_to)
        if statuses:
            criteria["statutCourant"] = list(statuses)
        if supplier_id is not None:
            criteria["idFournisseur"] = supplier_id

        def body(page: int) -> JsonObject:
            return {**criteria, "rechercheFactureParFournisseur": _paging(page_size, page)}

        pages = self._pages(
            "rechercherFactureParFournisseur",
            "factures/v1/rechercher/fournisseur",
            body,
            RechercherFactureParFournisseurResponse,
            lambda answer: answer.liste_factures,
        )
        async for answer in pages:
            for invoice in answer.liste_factures:
                yield invoice

    async def search_supplier_invoices_all(
        self,
        *,
        flux_number: str | None = None,
        invoice_number: str | None = None,
        status_changed_from: datetime | None = None,
        status_changed_to: datetime | None = None,
        statuses: list[str] | None = None,
        supplier_id: int | None = None,
        page_size: int = 100,
    ) -> list[FactureFournisseur]:
        """`search_supplier_invoices` collected into a list."""
        return [
            invoice
            async for invoice in self.search_supplier_invoices(
                flux_number=flux_number,
                invoice_number=invoice_number,
                status_changed_from=status_changed_from,
                status_changed_to=status_changed_to,
                statuses=statuses,
                supplier_id=supplier_id,
                page_size=page_size,
            )
        ]

    async def get_invoice_history(
        self, chorus_invoice_id: int, *, page_size: int = HISTORY_PAGE_SIZE
    ) -> ConsulterHistoriqueResponse:
        """Current status and the whole status history, every page of it (API.md 3.6:
        `paramRechercheHistoStatuts`, answered with `pagesHistoStatut`); the echoed id is
        checked on each page, as OCA does. One call for an invoice with up to `page_size`
        statuses, which is every invoice in practice."""
        operation = "consulterHistoriqueFacture"
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        first: ConsulterHistoriqueResponse | None = None
        entries: list[HistoStatut] = []
        page = 1
        while True:
            body: JsonObject = {
                "idFacture": chorus_invoice_id,
                "paramRechercheHistoStatuts": {
                    "nbResultatsParPageListeHistoStatut": page_size,
                    "pageResultatDemandeeListeHistoStatut": page,
                },
            }
            payload = await self._transport.call(
                operation, "factures/v1/consulter/historique", body
            )
            answer = _parse(ConsulterHistoriqueResponse, operation, payload)
            if answer.id_facture != chorus_invoice_id:
                raise ChorusProtocolError(
                    f"history answer is for idFacture {answer.id_facture}, not {chorus_invoice_id}",
                    operation=operation,
                )
            first = first or answer
            found = answer.historiques_des_statuts
            entries += found.histo_statut
            pages = found.pages_histo_statut or 1
            if not found.histo_statut or page >= min(pages, MAX_HISTORY_PAGES):
                break
            page += 1
        histories = first.historiques_des_statuts.model_copy(
            update={
                "histo_statut": entries,
                "page_courante_histo_statut": 1,
                "pages_histo_statut": 1,
            }
        )
        return first.model_copy(update={"historiques_des_statuts": histories})

    async def complete_invoice(
        self,
        chorus_invoice_id: int,
        comment: str | None = None,
        attachments: Sequence[PieceJointeComplementaire] = (),
    ) -> CompleterFactureResponse:
        """Answer a SUSPENDUE invoice with a comment and/or attachments (→ COMPLETEE)."""
        operation = "completerFacture"
        body: JsonObject = {"identifiantFactureCPP": chorus_invoice_id}
        if comment is not None:
            body["commentaire"] = comment
        if attachments:
            body["pieceJointeComplementaire"] = [item.to_wire() for item in attachments]
        payload = await self._transport.call(operation, "factures/v1/completer", body)
        result = _parse(CompleterFactureResponse, operation, payload)
        _check_echo(operation, result.identifiant_facture_cpp, chorus_invoice_id)
        return result

    async def add_file(
        self, content: bytes, file_name: str, mime_type: str, extension: str
    ) -> AjouterFichierResponse:
        """Upload an attachment (ajouterFichierDansSysteme); ≤ 10 Mo, name ≤ 50 characters."""
        operation = "ajouterFichierDansSysteme"
        body: JsonObject = {
            "pieceJointeFichier": base64.b64encode(content).decode("ascii"),
            "pieceJointeNom": file_name,
            "pieceJointeTypeMime": mime_type,
            "pieceJointeExtension": extension,
        }
        payload = await self._transport.call(operation, "transverses/v1/ajouter/fichier", body)
        return _parse(AjouterFichierResponse, operation, payload)

    async def recycle_invoice(
        self,
        chorus_invoice_id: int,
        recipient_siret: str,
        service_code: str | None = None,
        engagement_number: str | None = None,
        comment: str | None = None,
    ) -> RecyclerFactureResponse:
        """Re-route an A_RECYCLER invoice: same number, new recipient, service or EJ."""
        operation = "recyclerFacture"
        recipient: JsonObject = {"codeDestinataire": recipient_siret}
        if service_code is not None:
            recipient["codeServiceExecutant"] = service_code
        body: JsonObject = {"identifiantFactureCPP": chorus_invoice_id, "destinataire": recipient}
        if engagement_number is not None:
            body["reference"] = {"numeroBonCommande": engagement_number}
        if comment is not None:
            body["commentaire"] = comment
        payload = await self._transport.call(operation, "factures/v1/recycler", body)
        result = _parse(RecyclerFactureResponse, operation, payload)
        _check_echo(operation, result.identifiant_facture_cpp, chorus_invoice_id)
        return result

    async def search_structures(self, siret: str, *, page_size: int = 100) -> list[StructureItem]:
        """Structures registered under a SIRET (expect exactly one ACTIVE for a recipient)."""

        def body(page: int) -> JsonObject:
            return {
                "structure": {"identifiantStructure": siret, "typeIdentifiantStructure": "SIRET"},
                "restreindreStructuresPrivees": False,
                "parametres": _paging(page_size, page),
            }

        pages = self._pages(
            "rechercherStructure",
            "structures/v1/rechercher",
            body,
            RechercherStructureResponse,
            lambda answer: answer.liste_structures,
        )
        return [item async for answer in pages for item in answer.liste_structures]

    async def get_structure(self, id_structure_cpp: int) -> ConsulterStructureResponse:
        """Which data (service code, EJ number) the recipient requires on its invoices."""
        operation = "consulterStructure"
        payload = await self._transport.call(
            operation,
            "structures/v1/consulter",
            {"idStructureCPP": id_structure_cpp, "codeLangue": "FR"},
        )
        return _parse(ConsulterStructureResponse, operation, payload)

    async def search_services(
        self, id_structure: int, *, page_size: int = 100
    ) -> list[ServiceItem]:
        """Every service of a structure, active or not, walking all pages."""

        def body(page: int) -> JsonObject:
            return {
                "idStructure": id_structure,
                "parametresRechercherServicesStructure": _paging(page_size, page),
            }

        pages = self._pages(
            "rechercherServicesStructure",
            "structures/v1/rechercher/services",
            body,
            RechercherServicesResponse,
            lambda answer: answer.liste_services,
        )
        return [item async for answer in pages for item in answer.liste_services]

    async def get_service(self, id_structure: int, id_service: int) -> ConsulterServiceResponse:
        """Service parameters; `numero_engagement` makes an EJ number mandatory for it."""
        operation = "consulterServiceStructure"
        payload = await self._transport.call(
            operation,
            "structures/v1/consulter/service",
            {"idStructure": id_structure, "idService": id_service, "codeLangue": "FR"},
        )
        return _parse(ConsulterServiceResponse, operation, payload)

    async def search_legal_commitments(
        self, supplier_structure_id: int, number: str, *, state: str | None = "COMMANDE"
    ) -> list[dict[str, Any]]:
        """Commitments (EJ/PO) matching a number; OCA only counts them, so items stay raw."""
        operation = "rechercherEngagementJuridique"
        body: JsonObject = {
            # OCA sends the supplier's own idStructureCPP, as a string.
            "structureReceptriceEngagementJuridique": str(supplier_structure_id),
            "numeroEngagementJuridique": number,
        }
        if state is not None:
            body["etatCourantEngagementJuridique"] = state
        payload = await self._transport.call(
            operation, "engagementsJuridiques/v1/rechercher", body, accept_codes=_SEARCH_CODES
        )
        items = payload.get("listeEngagementJuridique")
        if payload.get("codeRetour") == NO_RESULT or items is None:
            return []
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ChorusProtocolError("listeEngagementJuridique is not a list", operation=operation)
        return items

    async def health_check(self) -> bool:
        """True when the gateway answers; False when it is unavailable. Auth errors propagate."""
        try:
            payload = await self._transport.call(
                "healthCheck",
                "transverses/v1/health-check",
                method="GET",
                require_code=False,
                require_json=False,
            )
        except ChorusUnavailableError:
            return False
        # Body shape is unconfirmed (API.md §9.6); honour a serialised HTTP status if present.
        status = payload.get("statusCodeValue")
        return not (isinstance(status, int) and not 200 <= status < 300)

    async def _pages(
        self,
        operation: str,
        path: str,
        body: Callable[[int], JsonObject],
        model: type[P],
        items: Callable[[P], Sequence[object]],
    ) -> AsyncIterator[P]:
        """Pages 1..parametresRetour.pages; stops early on "no result" or an empty page."""
        page = 1
        while True:
            payload = await self._transport.call(
                operation, path, body(page), accept_codes=_SEARCH_CODES
            )
            if payload.get("codeRetour") == NO_RESULT:
                return
            answer = _parse(model, operation, payload)
            yield answer
            paging = answer.parametres_retour
            if not items(answer) or paging is None or page >= paging.pages:
                return
            page += 1


def _paging(page_size: int, page: int) -> JsonObject:
    if page_size < 1:
        raise ValueError("page_size must be >= 1")
    return {"nbResultatsParPage": page_size, "pageResultatDemandee": page}


def _iso(value: datetime) -> str:
    # Chorus's own format: milliseconds and an offset (2018-02-16T15:10:25.536+01:00).
    return value.isoformat(timespec="milliseconds")


def _check_echo(operation: str, echoed: int | None, expected: int) -> None:
    if echoed is not None and echoed != expected:
        raise ChorusProtocolError(
            f"answer is for identifiantFactureCPP {echoed}, not {expected}", operation=operation
        )


def _parse(model: type[M], operation: str, payload: JsonObject) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:5]
        )
        raise ChorusProtocolError(f"unexpected answer ({problems})", operation=operation) from exc
