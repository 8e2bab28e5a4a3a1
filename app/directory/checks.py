"""Pre-flight rules from the recipient's directory settings (API.md 6, items 3 to 6).

Most Chorus Pro rejections come from these, and Chorus only tells after the deposit; the
same rules here name the field to fix before anything is sent. Pure functions of a
`StructureEntry`: no I/O.
"""

from __future__ import annotations

from app.directory.entries import FACTURES_PUBLIQUES, Requirement, StructureEntry
from app.kit.errors import FieldError

RECIPIENT = "recipient.siret"
SUPPLIER = "supplier.siret"
SERVICE = "service_code"
ENGAGEMENT = "engagement_number"
SHOWN_SERVICES = 5


def _error(field: str, code: int, message: str, message_fr: str) -> FieldError:
    return FieldError(
        field=field, code=f"CPP-DIR-{code:02d}", message=message, message_fr=message_fr
    )


def recipient_errors(entry: StructureEntry) -> list[FieldError]:
    """The SIRET must resolve to exactly one active structure."""
    if not entry.found:
        return [
            _error(
                RECIPIENT,
                1,
                f"Chorus Pro has no structure with SIRET {entry.siret}",
                f"aucune structure Chorus Pro n'a le SIRET {entry.siret}",
            )
        ]
    if entry.active_count == 0:
        return [
            _error(
                RECIPIENT,
                2,
                f"the recipient {entry.designation} is not active on Chorus Pro "
                f"(status {entry.status})",
                f"la structure destinataire {entry.designation} n'est pas active dans "
                f"Chorus Pro (statut {entry.status})",
            )
        ]
    if entry.active_count > 1:
        return [
            _error(
                RECIPIENT,
                3,
                f"SIRET {entry.siret} matches {entry.active_count} active structures on "
                "Chorus Pro; it must match exactly one",
                f"le SIRET {entry.siret} correspond à {entry.active_count} structures actives "
                "dans Chorus Pro ; il doit en désigner une seule",
            )
        ]
    return []


def _service_errors(entry: StructureEntry, code: str) -> list[FieldError]:
    if code == FACTURES_PUBLIQUES:
        return [
            _error(
                SERVICE,
                5,
                "FACTURES_PUBLIQUES is reserved for invoices between public entities",
                "le service FACTURES_PUBLIQUES est réservé à la facturation entre entités "
                "publiques",
            )
        ]
    service = entry.service(code)
    if service is None:
        usable = [s.code for s in entry.services if s.active and s.code != FACTURES_PUBLIQUES]
        shown = ", ".join(usable[:SHOWN_SERVICES]) + (", …" if len(usable) > SHOWN_SERVICES else "")
        return [
            _error(
                SERVICE,
                6,
                f"the recipient has no service {code} (active services: {shown or 'none'})",
                f"le destinataire n'a pas de service {code} (services actifs : {shown or 'aucun'})",
            )
        ]
    if not service.active:
        return [
            _error(
                SERVICE,
                7,
                f"service {code} of the recipient is not active",
                f"le service {code} du destinataire n'est pas actif",
            )
        ]
    return []


def check_invoice(
    entry: StructureEntry, service_code: str | None, engagement_number: str | None
) -> list[FieldError]:
    """Every directory rule the invoice breaks; empty when Chorus Pro should route it."""
    errors = recipient_errors(entry)
    if errors or not entry.usable:
        return errors
    service_code = service_code or None
    engagement_number = engagement_number or None
    requirement = entry.requirement

    if service_code is None and requirement in (
        Requirement.SERVICE,
        Requirement.SERVICE_AND_ENGAGEMENT,
    ):
        errors.append(
            _error(
                SERVICE,
                4,
                "this recipient requires a service code (codeServiceDoitEtreRenseigne)",
                "ce destinataire exige un code service (codeServiceDoitEtreRenseigne)",
            )
        )
    if service_code is not None:
        errors += _service_errors(entry, service_code)

    if engagement_number is None:
        if requirement in (Requirement.ENGAGEMENT, Requirement.SERVICE_AND_ENGAGEMENT):
            errors.append(
                _error(
                    ENGAGEMENT,
                    8,
                    "this recipient requires an engagement number (numeroEJDoitEtreRenseigne)",
                    "ce destinataire exige un numéro d'engagement juridique "
                    "(numeroEJDoitEtreRenseigne)",
                )
            )
        elif service_code is not None and _service_wants_engagement(entry, service_code):
            errors.append(
                _error(
                    ENGAGEMENT,
                    9,
                    f"service {service_code} of the recipient requires an engagement number",
                    f"le service {service_code} du destinataire exige un numéro d'engagement "
                    "juridique",
                )
            )
        elif service_code is None and requirement is Requirement.SERVICE_OR_ENGAGEMENT:
            # Either field fixes it: name both, so a form can highlight both.
            errors += [
                _error(
                    field,
                    10,
                    "this recipient requires a service code or an engagement number "
                    "(gestionNumeroEJOuCodeService)",
                    "ce destinataire exige un code service ou un numéro d'engagement juridique "
                    "(gestionNumeroEJOuCodeService)",
                )
                for field in (SERVICE, ENGAGEMENT)
            ]
    return errors


def _service_wants_engagement(entry: StructureEntry, code: str) -> bool:
    service = entry.service(code)
    return bool(service and service.active and service.engagement_required)


def supplier_unknown(siret: str) -> FieldError:
    return _error(
        SUPPLIER,
        12,
        f"Chorus Pro has no single active structure for the supplier SIRET {siret}",
        f"aucune structure Chorus Pro active et unique pour le SIRET fournisseur {siret}",
    )


def engagement_unknown(number: str) -> FieldError:
    return _error(
        ENGAGEMENT,
        11,
        f"engagement {number} is not known to Chorus Pro for this supplier (state COMMANDE)",
        f"l'engagement juridique {number} est inconnu de Chorus Pro pour ce fournisseur "
        "(état COMMANDE)",
    )
