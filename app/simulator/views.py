"""JSON shapes of the Chorus answers, field names copied from /work/shared/chorus-pro/examples.

Pure functions of a record and an instant, so the same record reads differently as the
simulator clock moves on.
"""

from __future__ import annotations

import base64
import math
import zlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.simulator import directory
from app.simulator.clock import DateFormats
from app.simulator.report import render_report
from app.simulator.scenarios import ACTION_CODES
from app.simulator.state import FluxRecord, InvoiceRecord, StatusEvent

OK_TRA = "TRA_MSG_00.000"
OK_GCU = "GCU_MSG_01_000"
MODE_DEPOT = "UPLOAD_API"

Json = dict[str, Any]


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def service_id(recipient_siret: str, code: str | None) -> int | None:
    """The directory's idService when the recipient has that active service, else derived."""
    if not code:
        return None
    seeded = directory.service_id_for(recipient_siret, code)
    return seeded if seeded is not None else 10_000_000 + zlib.crc32(code.encode()) % 1_000_000


def flux_name(flux: FluxRecord) -> str:
    return f"{flux.interface_code}_CPP001_{flux.number}"


def cr_detaille(flux: FluxRecord, now: datetime, fmt: DateFormats) -> Json:
    state, since = flux.state(now)
    done = now >= flux.processed_at
    return {
        "codeRetour": 0,
        "libelle": OK_TRA,
        "codeInterfaceDepotFlux": flux.interface_code,
        "dateDepotFlux": fmt.iso(flux.received_at),
        "dateHeureEtatCourantFlux": fmt.iso(since),
        "etatCourantDepotFlux": state,
        "nomFichier": flux_name(flux),
        "listeErreurDP": list(flux.dp_errors) if done else [],
        "listeErreurTechnique": list(flux.technical_errors) if done else [],
    }


def cr(flux: FluxRecord, now: datetime, fmt: DateFormats) -> Json:
    detail = cr_detaille(flux, now, fmt)
    lines = [
        "Compte rendu de traitement du flux (SIMULATEUR Chorus Pro)",
        f"Flux : {flux.number} - fichier {flux.file_name}",
        f"Etat : {detail['etatCourantDepotFlux']} depuis {detail['dateHeureEtatCourantFlux']}",
    ]
    lines += [f"DP {e['numeroDP']} : {e['libelleErreurDP']}" for e in detail["listeErreurDP"]]
    lines += [f"{e['codeErreur']} : {e['libelleErreur']}" for e in detail["listeErreurTechnique"]]
    return {
        "codeRetour": 0,
        "libelle": OK_TRA,
        "numeroFluxDepot": flux.number,
        "etatCourantFlux": detail["etatCourantDepotFlux"],
        "dateDepotFlux": detail["dateDepotFlux"],
        "dateHeureEtatCourantFlux": detail["dateHeureEtatCourantFlux"],
        "nomFichierFlux": detail["nomFichier"],
        "codeInterfaceFlux": flux.interface_code,
        "codeAppliPartenaire": "",
        "designationPartenaire": "",
        "fichierCR": base64.b64encode(render_report(lines)).decode("ascii"),
    }


def invoice_item(invoice: InvoiceRecord, now: datetime, fmt: DateFormats) -> Json:
    doc = invoice.document
    current = invoice.current(now)
    return {
        "identifiantFactureCPP": invoice.id,
        "numeroFacture": invoice.number,
        "statut": current.code,
        "typeFacture": doc.kind,
        "typeDemandePaiement": "FACTURE",
        "dateFacture": doc.issue_date.isoformat() if doc.issue_date else None,
        "dateDepot": fmt.day(invoice.deposited_at),
        "dateHeureEtatCourant": fmt.iso(current.at),
        "montantHT": money(doc.amount_ht),
        "montantTTC": money(doc.amount_ttc),
        "montantAPayer": money(doc.amount_payable),
        "devise": doc.currency,
        "numeroFluxDepot": invoice.flux_number,
        "modeDepot": MODE_DEPOT,
        "codeFournisseur": invoice.supplier_siret,
        "typeIdentifiantFournisseur": "SIRET",
        "designationFournisseur": doc.supplier_name or "",
        "idDestinataire": invoice.recipient.id_structure,
        "codeDestinataire": invoice.recipient.siret,
        "designationDestinataire": invoice.recipient.designation,
        "idServiceExecutant": service_id(invoice.recipient.siret, invoice.service_code),
        "codeServiceExecutant": invoice.service_code or "",
        "nomServiceExecutant": invoice.service_code or "",
        "numeroBonCommande": invoice.engagement or "",
        "numeroMarche": "",
        "numeroFactureOrigine": "",
        "commentaireEtatCourant": current.comment,
        "rejetTraite": False,
    }


def _histo(event: StatusEvent, fmt: DateFormats) -> Json:
    name, first_name = ("DURAND", "Claire") if event.by_recipient else ("TECHNIQUE", "Compte")
    return {
        "histoStatutId": event.id,
        "histoStatutCode": event.code,
        "histoStatutDatePassage": fmt.minute(event.at),
        "histoStatutCommentaire": event.comment,
        "histoStatutUtilisateurNom": name,
        "histoStatutUtilisateurPrenom": first_name,
    }


def history(
    invoice: InvoiceRecord, now: datetime, fmt: DateFormats, page_size: int, page: int
) -> Json:
    events = invoice.history(now)
    latest = events[0]
    shown = events[(page - 1) * page_size : page * page_size]
    return {
        "codeRetour": 0,
        "libelle": OK_TRA,
        "idFacture": invoice.id,
        "numeroFacture": invoice.number,
        "modeDepot": MODE_DEPOT,
        "statutCourantCode": latest.code,
        "derniereAction": {
            "derniereActionCode": ACTION_CODES.get(latest.code, latest.code),
            "derniereActionId": latest.id + 1_000_000,
        },
        "historiquesDesStatuts": {
            "histoStatut": [_histo(e, fmt) for e in shown],
            "nbResultatsParPageHistoStatut": page_size,
            "pageCouranteHistoStatut": page,
            "pagesHistoStatut": math.ceil(len(events) / page_size),
            "totalHistoStatut": len(events),
        },
    }
