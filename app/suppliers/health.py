"""Are a supplier's credentials good now? A token, then one harmless call that says more.

`consulterStructure` on the supplier's own structure returns the technical password's
expiry date (`dateExpirationMotPasseCompteTech`, API.md §1): when Chorus Pro gives it, it is
recorded; otherwise the date an operator recorded is shown.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusAuthError, ChorusClient, ChorusError
from app.kit.time import utcnow
from app.suppliers.clients import ChorusClients, SupplierNotConfigured
from app.suppliers.schemas import SupplierHealth
from app.suppliers.service import days_left, supplier_service


async def check_health(session: AsyncSession, clients: ChorusClients, siret: str) -> SupplierHealth:
    supplier = await supplier_service.get(session, siret)
    token: Literal["ok", "refused", "unavailable"] = "ok"
    chorus: Literal["ok", "refused", "unavailable", "not_checked"] = "not_checked"
    detail: str | None = None
    try:
        client = await clients.for_supplier(siret, session)
        await client.token_provider.get_token()
    except SupplierNotConfigured as exc:
        token, detail = "refused", exc.detail
    except ChorusAuthError as exc:
        token, detail = "refused", str(exc)
        if exc.credentials_refused:
            await supplier_service.credentials_rejected(session, siret, str(exc))
    except ChorusError as exc:
        token, detail = "unavailable", str(exc)
    else:
        chorus, detail = await _consult_itself(session, client, siret)
    return SupplierHealth(
        siret=siret,
        token=token,
        chorus=chorus,
        detail=detail,
        password_expires_on=supplier.password_expires_on,
        password_expiry_source=supplier.password_expiry_source,
        days_until_password_expiry=days_left(supplier.password_expires_on, utcnow().date()),
    )


async def _consult_itself(
    session: AsyncSession, client: ChorusClient, siret: str
) -> tuple[Literal["ok", "refused", "unavailable"], str | None]:
    try:
        mine = [
            s for s in await client.search_structures(siret) if s.identifiant_structure == siret
        ]
        if len(mine) != 1:
            return "ok", f"{len(mine)} structures found for this SIRET on Chorus Pro"
        structure = await client.get_structure(mine[0].id_structure_cpp)
    except ChorusAuthError as exc:
        if exc.credentials_refused:
            await supplier_service.credentials_rejected(session, siret, str(exc))
        return "refused", str(exc)
    except ChorusError as exc:
        return "unavailable", str(exc)
    expires_on = structure.information_generales.date_expiration_mot_passe_compte_tech
    if expires_on is not None:
        await supplier_service.record_password_expiry(session, siret, expires_on)
    return "ok", None
