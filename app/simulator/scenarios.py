"""Scenarios chosen by data: the recipient SIRET and the invoice-number prefix.

Keeping them as plain tables lets docs/simulator.md and the tests enumerate exactly what the
simulator does, with nothing hidden in the request handlers.
"""

from __future__ import annotations

import enum
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.simulator import directory


class Outcome(enum.Enum):
    """What the recipient does with an invoice once it is MISE_A_DISPOSITION."""

    PAY = "pay"
    REJECT = "reject"
    SUSPEND = "suspend"
    RECYCLE = "recycle"
    STOP_AT_MANDATEE = "stop_at_mandatee"


@dataclass(frozen=True)
class Recipient:
    siret: str
    id_structure: int
    designation: str
    outcome: Outcome


REJECT_COMMENT = "Facture rejetée : le numéro d'engagement ne correspond à aucune commande"
SUSPEND_COMMENT = "Merci de joindre le bon de livraison signé"
RECYCLE_COMMENT = "Code service inconnu, merci de corriger l'acheminement"

RECIPIENTS: dict[str, Recipient] = {
    r.siret: r
    for r in (
        Recipient("21330063500025", 26346731, "COMMUNE DE SAINT-EXEMPLE", Outcome.PAY),
        Recipient("21750001600019", 26346732, "COMMUNE QUI REJETTE", Outcome.REJECT),
        Recipient("21690123100011", 26346733, "COMMUNE QUI SUSPEND", Outcome.SUSPEND),
        Recipient("21130055300016", 26346734, "COMMUNE QUI RECYCLE", Outcome.RECYCLE),
        Recipient(
            "21310555400017", 26346735, "COMMUNE SANS STATUT DE PAIEMENT", Outcome.STOP_AT_MANDATEE
        ),
    )
}


def structure_id(siret: str) -> int:
    """The directory's idStructureCPP, else a stable one derived from the SIRET."""
    seeded = directory.structure_id_for(siret)
    if seeded is not None:
        return seeded
    return 30_000_000 + zlib.crc32(siret.encode()) % 10_000_000


def recipient_for(siret: str) -> Recipient:
    known = RECIPIENTS.get(siret)
    if known is not None:
        return known
    seeded = directory.structures_for(siret)
    if len(seeded) == 1:
        # A directory structure pays, unless it never reports MISE_EN_PAIEMENT.
        entry = seeded[0]
        outcome = Outcome.STOP_AT_MANDATEE if entry.payment_status_not_reported else Outcome.PAY
        return Recipient(siret, entry.id, entry.designation, outcome)
    return Recipient(siret, structure_id(siret), f"STRUCTURE PUBLIQUE {siret}", Outcome.PAY)


class Prefix(enum.Enum):
    """Invoice-number prefixes that drive transport-level scenarios (first invoice of a flux)."""

    REJECT_FLUX = "XREJ"
    SLOW = "XSLOW"
    LOST = "XLOST"
    FAIL_503_ONCE = "X500"
    THROTTLE_ONCE = "X429"


def prefix_of(invoice_number: str | None) -> Prefix | None:
    if not invoice_number:
        return None
    for prefix in Prefix:
        if invoice_number.upper().startswith(prefix.value):
            return prefix
    return None


@dataclass(frozen=True)
class Step:
    """A status the invoice will reach at `at` (it stays invisible until then)."""

    code: str
    at: datetime
    comment: str = ""
    by_recipient: bool = True


def paying_path(recipient: Recipient, start: datetime, step: timedelta) -> list[Step]:
    """SERVICE_FAIT, MANDATEE, then MISE_EN_PAIEMENT unless the recipient never reports it."""
    steps = [
        Step("SERVICE_FAIT", start + step),
        Step("MANDATEE", start + 2 * step),
    ]
    if recipient.outcome is not Outcome.STOP_AT_MANDATEE:
        steps.append(Step("MISE_EN_PAIEMENT", start + 3 * step))
    return steps


def after_mise_a_disposition(recipient: Recipient, mad_at: datetime, step: timedelta) -> list[Step]:
    """The recipient's decision, one step after the invoice was made available to it."""
    decided_at = mad_at + step
    match recipient.outcome:
        case Outcome.REJECT:
            return [Step("REJETEE", decided_at, REJECT_COMMENT)]
        case Outcome.SUSPEND:
            return [Step("SUSPENDUE", decided_at, SUSPEND_COMMENT)]
        case Outcome.RECYCLE:
            return [Step("A_RECYCLER", decided_at, RECYCLE_COMMENT)]
        case Outcome.PAY | Outcome.STOP_AT_MANDATEE:
            return paying_path(recipient, mad_at, step)


def initial_path(recipient: Recipient, integrated_at: datetime, step: timedelta) -> list[Step]:
    """DEPOSEE when the flux is integrated, MISE_A_DISPOSITION one step later, then onwards."""
    mad_at = integrated_at + step
    return [
        Step("DEPOSEE", integrated_at, by_recipient=False),
        Step("MISE_A_DISPOSITION", mad_at, by_recipient=False),
        *after_mise_a_disposition(recipient, mad_at, step),
    ]


def completed_path(
    recipient: Recipient, completed_at: datetime, step: timedelta, comment: str
) -> list[Step]:
    """After completerFacture: COMPLETEE now, back to the recipient, then paid."""
    mad_at = completed_at + step
    return [
        Step("COMPLETEE", completed_at, comment, by_recipient=False),
        Step("MISE_A_DISPOSITION", mad_at, by_recipient=False),
        *paying_path(recipient, mad_at, step),
    ]


def recycled_path(
    recipient: Recipient, recycled_at: datetime, step: timedelta, comment: str
) -> list[Step]:
    """After recyclerFacture: MISE_A_DISPOSITION now at the new recipient, then its path."""
    return [
        Step("MISE_A_DISPOSITION", recycled_at, comment, by_recipient=False),
        *after_mise_a_disposition(recipient, recycled_at, step),
    ]


# Blocking statuses wait for a supplier action; they are always the last planned step.
AWAITING_SUPPLIER = frozenset({"SUSPENDUE", "A_RECYCLER"})

# derniereAction codes are not documented anywhere (API.md examples invent SUSPENDRE).
ACTION_CODES = {
    "DEPOSEE": "DEPOSER",
    "MISE_A_DISPOSITION": "METTRE_A_DISPOSITION",
    "SUSPENDUE": "SUSPENDRE",
    "REJETEE": "REJETER",
    "A_RECYCLER": "DEMANDER_RECYCLAGE",
    "COMPLETEE": "COMPLETER",
    "SERVICE_FAIT": "CERTIFIER_SERVICE_FAIT",
    "MANDATEE": "MANDATER",
    "MISE_EN_PAIEMENT": "METTRE_EN_PAIEMENT",
}
