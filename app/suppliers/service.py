"""Suppliers: who the gateway invoices for, with which syntax and which Chorus Pro credentials.

Secrets are sealed with the vault as they arrive and only ever opened to call Chorus Pro
(`clients.py`). A person is told through webhooks when a technical password is about to
expire, and when Chorus Pro refuses fresh credentials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.formats import Syntax
from app.kit.errors import Conflict, NotFound
from app.kit.secretbox import SecretBox
from app.kit.time import utcnow
from app.models.supplier import Supplier
from app.suppliers.repository import SupplierRepository
from app.suppliers.schemas import (
    Credentials,
    SupplierCreate,
    SupplierSettingsRead,
    SupplierSettingsUpdate,
    SupplierUpdate,
)
from app.webhooks.events import EventType
from app.webhooks.service import webhook_service

logger = logging.getLogger(__name__)

DEFAULT_SYNTAX = Syntax.CII_D16B
EXPIRY_NOTICE = timedelta(days=30)
KNOWN_FOR = 10.0  # seconds a process trusts that a supplier exists without asking again


class SupplierNotFound(NotFound):
    slug = "supplier-not-found"
    title = "No such supplier"


class SupplierExists(Conflict):
    slug = "supplier-exists"
    title = "This supplier already exists"


class SupplierInUse(Conflict):
    slug = "supplier-in-use"
    title = "This supplier still has invoices on their way"


def days_left(expires_on: date | None, today: date) -> int | None:
    return None if expires_on is None else (expires_on - today).days


class SupplierService:
    def __init__(self) -> None:
        self._known: dict[str, float] = {}

    async def ensure_environment_supplier(self, session: AsyncSession, settings: Settings) -> None:
        """The supplier of the environment's credentials exists (one-entity setups, dev)."""
        siret = settings.environment_supplier_siret
        if siret is None:
            return
        now = utcnow()
        await SupplierRepository(session).insert_if_missing(
            Supplier(
                siret=siret,
                name=settings.supplier_name,
                default_syntax=DEFAULT_SYNTAX.value,
                environment="production",
                credentials_from_environment=True,
                created_at=now,
                updated_at=now,
            )
        )

    async def is_known(self, session: AsyncSession, siret: str) -> bool:
        """Cheap on the hot path: a supplier seen recently is not looked up again."""
        now = time.monotonic()
        if self._known.get(siret, 0.0) > now:
            return True
        if await SupplierRepository(session).get(siret) is None:
            return False
        self._known[siret] = now + KNOWN_FOR
        return True

    async def list(self, session: AsyncSession) -> Sequence[Supplier]:
        return await SupplierRepository(session).all()

    async def get(self, session: AsyncSession, siret: str) -> Supplier:
        supplier = await SupplierRepository(session).get(siret)
        if supplier is None:
            raise SupplierNotFound(f"no supplier {siret}")
        return supplier

    async def create(self, session: AsyncSession, data: SupplierCreate, box: SecretBox) -> Supplier:
        repository = SupplierRepository(session)
        if await repository.get(data.siret) is not None:
            raise SupplierExists(f"supplier {data.siret} exists; change it instead")
        now = utcnow()
        supplier = Supplier(
            siret=data.siret,
            name=data.name,
            default_syntax=data.default_syntax,
            environment=data.environment,
            credentials_from_environment=data.credentials is None,
            password_expires_on=data.password_expires_on,
            password_expiry_source="operator" if data.password_expires_on else None,
            created_at=now,
            updated_at=now,
        )
        if data.credentials is not None:
            _seal(supplier, data.credentials, box)
        try:  # the check above and this insert race with a concurrent create
            async with session.begin_nested():
                repository.add(supplier)
        except IntegrityError as exc:
            raise SupplierExists(f"supplier {data.siret} exists; change it instead") from exc
        return supplier

    async def update(self, session: AsyncSession, siret: str, data: SupplierUpdate) -> Supplier:
        supplier = await self._locked(session, siret)
        changed = data.model_fields_set
        if "name" in changed and data.name is not None:
            supplier.name = data.name
        if "default_syntax" in changed and data.default_syntax is not None:
            supplier.default_syntax = data.default_syntax
        if "environment" in changed and data.environment is not None:
            supplier.environment = data.environment
        if "password_expires_on" in changed:
            supplier.password_expires_on = data.password_expires_on
            supplier.password_expiry_source = "operator" if data.password_expires_on else None
        supplier.updated_at = utcnow()
        await session.flush()
        return supplier

    async def set_credentials(
        self, session: AsyncSession, siret: str, credentials: Credentials | None, box: SecretBox
    ) -> Supplier:
        """Its own credentials, sealed; None: the environment's from now on."""
        supplier = await self._locked(session, siret)
        if credentials is None:
            supplier.credentials_from_environment = True
            supplier.piste_client_id = supplier.piste_client_secret_enc = None
            supplier.technical_login = supplier.technical_password_enc = None
        else:
            _seal(supplier, credentials, box)
        supplier.credentials_rejected_at = None
        supplier.updated_at = utcnow()
        await session.flush()
        return supplier

    async def remove(self, session: AsyncSession, siret: str) -> None:
        repository = SupplierRepository(session)
        supplier = await self._locked(session, siret)
        if await repository.has_invoices_in_flight(siret):
            raise SupplierInUse(f"supplier {siret} has invoices on Chorus Pro still followed")
        await session.delete(supplier)
        self._known.pop(siret, None)
        await session.flush()

    async def read_settings(self, session: AsyncSession, siret: str) -> SupplierSettingsRead:
        return SupplierSettingsRead.model_validate(await self.get(session, siret))

    async def update_settings(
        self, session: AsyncSession, siret: str, data: SupplierSettingsUpdate
    ) -> SupplierSettingsRead:
        supplier = await self.update(
            session, siret, SupplierUpdate(default_syntax=data.default_syntax)
        )
        return SupplierSettingsRead.model_validate(supplier)

    async def syntax_for(self, session: AsyncSession, siret: str, wanted: str | None) -> Syntax:
        """The invoice's own choice, else the supplier's default, else CII D16B."""
        if wanted is not None:
            return Syntax(wanted)
        stored = await SupplierRepository(session).get(siret)
        return Syntax(stored.default_syntax) if stored is not None else DEFAULT_SYNTAX

    async def record_password_expiry(
        self, session: AsyncSession, siret: str, expires_on: date
    ) -> None:
        """What Chorus Pro says of the technical password outranks what was recorded."""
        supplier = await SupplierRepository(session).get_for_update(siret)
        if supplier is not None and supplier.password_expires_on != expires_on:
            supplier.password_expires_on = expires_on
            supplier.password_expiry_source = "chorus"

    async def credentials_rejected(self, session: AsyncSession, siret: str, detail: str) -> None:
        """Chorus Pro answered 401 with fresh credentials: tell a person, once."""
        supplier = await SupplierRepository(session).get_for_update(siret)
        if supplier is None or supplier.credentials_rejected_at is not None:
            return
        now = utcnow()
        supplier.credentials_rejected_at = now
        logger.warning("supplier %s: Chorus Pro refused its credentials (%s)", siret, detail)
        await _publish(
            session,
            EventType.SUPPLIER_CREDENTIALS_REJECTED,
            supplier,
            now,
            "Chorus Pro refused this supplier's credentials: check the PISTE application "
            "and the technical account, then set them again",
        )

    async def announce_expiring(self, session: AsyncSession, now: datetime) -> int:
        """Every technical password expiring within 30 days, announced once per date."""
        today = now.date()
        suppliers = await SupplierRepository(session).expiring(today + EXPIRY_NOTICE)
        for supplier in suppliers:
            supplier.expiry_notified_for = supplier.password_expires_on
            await _publish(
                session,
                EventType.SUPPLIER_CREDENTIALS_EXPIRING,
                supplier,
                now,
                "The technical account's password expires soon: change it on Chorus Pro, "
                "then set the new one here",
            )
        return len(suppliers)

    async def reseal(self, session: AsyncSession, box: SecretBox) -> int:
        """Every stored credential encrypted again with the box's first key."""
        count = 0
        for supplier in await SupplierRepository(session).all(for_update=True):
            if supplier.piste_client_secret_enc is not None:
                supplier.piste_client_secret_enc = box.rotate(supplier.piste_client_secret_enc)
                count += 1
            if supplier.technical_password_enc is not None:
                supplier.technical_password_enc = box.rotate(supplier.technical_password_enc)
                count += 1
        await session.flush()
        return count

    async def _locked(self, session: AsyncSession, siret: str) -> Supplier:
        supplier = await SupplierRepository(session).get_for_update(siret)
        if supplier is None:
            raise SupplierNotFound(f"no supplier {siret}")
        return supplier


def _seal(supplier: Supplier, credentials: Credentials, box: SecretBox) -> None:
    supplier.credentials_from_environment = False
    supplier.piste_client_id = credentials.piste_client_id
    supplier.piste_client_secret_enc = box.encrypt(
        credentials.piste_client_secret.get_secret_value()
    )
    supplier.technical_login = credentials.technical_login
    supplier.technical_password_enc = box.encrypt(credentials.technical_password.get_secret_value())


async def _publish(
    session: AsyncSession, event_type: EventType, supplier: Supplier, now: datetime, reason: str
) -> None:
    await webhook_service.publish(
        session,
        event_type.value,
        {
            "supplier_siret": supplier.siret,
            "name": supplier.name,
            "password_expires_on": (
                supplier.password_expires_on.isoformat() if supplier.password_expires_on else None
            ),
            "days_left": days_left(supplier.password_expires_on, now.date()),
            "reason": reason,
        },
        occurred_at=now,
        supplier_siret=supplier.siret,
    )


supplier_service = SupplierService()
