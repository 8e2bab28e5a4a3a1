"""Every SQL statement of the webhooks package."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Executable,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.kit.actors import Suppliers
from app.kit.repository import Repository
from app.models.supplier import Supplier
from app.models.webhook import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointChange,
    WebhookMessage,
)
from app.webhooks.states import RECOVERABLE, DeliveryStatus

Keyset = tuple[datetime, str]


@dataclass(frozen=True)
class MessageFilters:
    event_type: str | None = None
    invoice_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def _subscribed(event_type: str) -> ColumnElement[bool]:
    """Endpoints that take this event type: those listing it, and those listing none."""
    return or_(
        func.cardinality(WebhookEndpoint.event_types) == 0,
        WebhookEndpoint.event_types.any_() == event_type,
    )


def _publish_statement() -> Executable:
    """INSERT the message, then one delivery per subscribed endpoint: one round trip."""
    messages = cast(Table, WebhookMessage.__table__)
    deliveries = cast(Table, WebhookDelivery.__table__)
    endpoints = cast(Table, WebhookEndpoint.__table__)
    created = bindparam("created_at", type_=messages.c.created_at.type)
    event_type = bindparam("event_type", type_=messages.c.event_type.type)
    supplier = bindparam("supplier_siret", type_=messages.c.supplier_siret.type)
    stored = (
        insert(messages)
        .values(
            id=bindparam("message_id", type_=messages.c.id.type),
            event_type=event_type,
            payload=bindparam("payload", type_=messages.c.payload.type),
            invoice_id=bindparam("invoice_id", type_=messages.c.invoice_id.type),
            supplier_siret=supplier,
            created_at=created,
        )
        .returning(messages.c.id)
        .cte("message")
    )
    enabled = endpoints.c.disabled_at.is_(None)
    subscribed = and_(
        or_(
            func.cardinality(endpoints.c.event_types) == 0,
            endpoints.c.event_types.any_() == event_type,
        ),
        or_(endpoints.c.supplier_siret.is_(None), endpoints.c.supplier_siret == supplier),
    )
    fan_out = select(
        func.uuid7(),
        select(stored.c.id).scalar_subquery(),
        endpoints.c.id,
        case((enabled, DeliveryStatus.PENDING.value), else_=DeliveryStatus.SKIPPED.value),
        literal(0),
        case((enabled, created), else_=null()),
        created,
        created,
    ).where(subscribed)
    columns = [
        "id",
        "message_id",
        "endpoint_id",
        "status",
        "attempt_count",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    return (
        insert(deliveries)
        .from_select(columns, fan_out)
        .returning(deliveries.c.id, deliveries.c.status)
    )


_PUBLISH = _publish_statement()


class WebhookRepository(Repository[WebhookEndpoint]):
    model = WebhookEndpoint

    async def delete(self, row: WebhookEndpoint) -> None:
        await self.session.delete(row)

    async def list_endpoints(self, suppliers: Suppliers) -> Sequence[WebhookEndpoint]:
        statement = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at)
        if suppliers is not None:
            statement = statement.where(WebhookEndpoint.supplier_siret.in_(suppliers))
        return (await self.session.scalars(statement)).all()

    async def all_endpoints_for_update(self) -> Sequence[WebhookEndpoint]:
        statement = select(WebhookEndpoint).order_by(WebhookEndpoint.id).with_for_update()
        return (await self.session.scalars(statement)).all()

    async def supplier_exists(self, siret: str) -> bool:
        return bool(await self.session.scalar(select(exists().where(Supplier.siret == siret))))

    def log_change(self, change: WebhookEndpointChange) -> None:
        self.session.add(change)

    async def changes(self, endpoint_id: uuid.UUID) -> Sequence[WebhookEndpointChange]:
        statement = (
            select(WebhookEndpointChange)
            .where(WebhookEndpointChange.endpoint_id == endpoint_id)
            .order_by(WebhookEndpointChange.at, WebhookEndpointChange.id)
        )
        return (await self.session.scalars(statement)).all()

    async def get_endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return await self.session.get(WebhookEndpoint, endpoint_id)

    async def lock_endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        """The endpoint, locked and re-read (another attempt may just have disabled it).

        FOR NO KEY UPDATE: it must not conflict with the KEY SHARE lock every new delivery's
        foreign key takes (a POST publishing an event), which deadlocked with FOR UPDATE.
        """
        statement = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(statement)

    async def insert_with_deliveries(
        self, message: WebhookMessage
    ) -> Sequence[tuple[uuid.UUID, str]]:
        """The message and one delivery per subscribed endpoint, in one statement.

        Enabled endpoints get a `pending` delivery due at once, disabled ones a `skipped`,
        recoverable one. Returns (delivery id, status) of each.
        """
        params = {
            "message_id": message.id,
            "event_type": message.event_type,
            "payload": message.payload,
            "invoice_id": message.invoice_id,
            "supplier_siret": message.supplier_siret,
            "created_at": message.created_at,
        }
        rows = await self.session.execute(_PUBLISH, params)
        return [(row[0], row[1]) for row in rows]

    async def subscribed_endpoints(self, event_type: str) -> Sequence[WebhookEndpoint]:
        """Enabled and disabled ones: a disabled endpoint gets a `skipped`, recoverable row."""
        statement = select(WebhookEndpoint).where(_subscribed(event_type))
        return (await self.session.scalars(statement)).all()

    async def skip_pending(self, endpoint_id: uuid.UUID, now: datetime) -> int:
        """Pending deliveries of a disabled endpoint become `skipped` (recoverable).

        Rows locked by an attempt in flight are left to it: it sees the endpoint disabled
        when it records its outcome. Skipping them, not waiting, avoids a deadlock.
        """
        locked = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(locked.scalar_subquery()))
            .values(status=DeliveryStatus.SKIPPED, next_attempt_at=None, updated_at=now)
        )
        result = await self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def lock_delivery(
        self, delivery_id: uuid.UUID
    ) -> tuple[WebhookDelivery, WebhookEndpoint, WebhookMessage] | None:
        statement = (
            select(WebhookDelivery, WebhookEndpoint, WebhookMessage)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
            .where(WebhookDelivery.id == delivery_id)
            .with_for_update(of=WebhookDelivery)
            .execution_options(populate_existing=True)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def lock_or_add_skipped_delivery(
        self, message_id: str, endpoint_id: uuid.UUID, now: datetime
    ) -> WebhookDelivery:
        """This message's delivery to this endpoint, locked; a `skipped` one made first when
        there is none (the endpoint came after the message). Two resends at once meet on
        the unique pair instead of failing on it."""
        await self.session.execute(
            pg_insert(WebhookDelivery)
            .values(
                id=func.uuid7(),
                message_id=message_id,
                endpoint_id=endpoint_id,
                status=DeliveryStatus.SKIPPED,
                attempt_count=0,
                next_attempt_at=None,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["message_id", "endpoint_id"])
        )
        delivery = await self.lock_delivery_for(message_id, endpoint_id)
        assert delivery is not None  # inserted or already there, and this transaction sees it
        return delivery

    async def lock_delivery_for(
        self, message_id: str, endpoint_id: uuid.UUID
    ) -> WebhookDelivery | None:
        statement = (
            select(WebhookDelivery)
            .where(
                WebhookDelivery.message_id == message_id,
                WebhookDelivery.endpoint_id == endpoint_id,
            )
            .with_for_update()
        )
        return await self.session.scalar(statement)

    async def count_attempts(self, delivery_id: uuid.UUID) -> int:
        statement = select(func.count()).where(WebhookAttempt.delivery_id == delivery_id)
        return int(await self.session.scalar(statement) or 0)

    async def claim_due_deliveries(self, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
        statement = (
            select(WebhookDelivery)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def claim_due_manual_attempts(
        self, now: datetime, limit: int
    ) -> Sequence[WebhookDelivery]:
        """Requested resends, oldest request first, then oldest delivery (recover order)."""
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.manual_attempt_at <= now)
            .order_by(WebhookDelivery.manual_attempt_at, WebhookDelivery.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def lock_recoverable(
        self,
        endpoint_id: uuid.UUID,
        since: datetime,
        until: datetime,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[WebhookDelivery]:
        """Failed and skipped deliveries created in [since, until), oldest first."""
        conditions: list[ColumnElement[bool]] = [
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status.in_(RECOVERABLE),
            WebhookDelivery.created_at >= since,
            WebhookDelivery.created_at < until,
        ]
        if after is not None:
            conditions.append(tuple_(WebhookDelivery.created_at, WebhookDelivery.id) > after)
        statement = (
            select(WebhookDelivery)
            .where(and_(*conditions))
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update()
        )
        return (await self.session.scalars(statement)).all()

    async def get_message(self, message_id: str) -> WebhookMessage | None:
        return await self.session.get(WebhookMessage, message_id)

    async def list_messages(
        self, filters: MessageFilters, limit: int, after: Keyset | None, suppliers: Suppliers
    ) -> Sequence[WebhookMessage]:
        """Newest first, keyset-paginated on (created_at, id)."""
        conditions: list[ColumnElement[bool]] = []
        if suppliers is not None:
            conditions.append(WebhookMessage.supplier_siret.in_(suppliers))
        if filters.event_type:
            conditions.append(WebhookMessage.event_type == filters.event_type)
        if filters.invoice_id:
            conditions.append(WebhookMessage.invoice_id == filters.invoice_id)
        if filters.since:
            conditions.append(WebhookMessage.created_at >= filters.since)
        if filters.until:
            conditions.append(WebhookMessage.created_at < filters.until)
        if after is not None:
            conditions.append(tuple_(WebhookMessage.created_at, WebhookMessage.id) < after)
        statement = select(WebhookMessage)
        if conditions:
            statement = statement.where(and_(*conditions))
        statement = statement.order_by(
            WebhookMessage.created_at.desc(), WebhookMessage.id.desc()
        ).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def deliveries_of_message(
        self, message_id: str, suppliers: Suppliers
    ) -> Sequence[WebhookDelivery]:
        """Its deliveries to the endpoints the caller sees."""
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.message_id == message_id)
            .order_by(WebhookDelivery.created_at)
        )
        if suppliers is not None:
            statement = statement.join(WebhookEndpoint).where(
                WebhookEndpoint.supplier_siret.in_(suppliers)
            )
        return (await self.session.scalars(statement)).all()

    async def list_deliveries(
        self,
        endpoint_id: uuid.UUID,
        status: str | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[WebhookDelivery]:
        """Newest first, keyset-paginated on (created_at, id)."""
        conditions: list[ColumnElement[bool]] = [WebhookDelivery.endpoint_id == endpoint_id]
        if status:
            conditions.append(WebhookDelivery.status == status)
        if after is not None:
            conditions.append(tuple_(WebhookDelivery.created_at, WebhookDelivery.id) < after)
        statement = (
            select(WebhookDelivery)
            .where(and_(*conditions))
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def get_delivery(
        self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> WebhookDelivery | None:
        statement = select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
        )
        return await self.session.scalar(statement)

    async def list_attempts(self, delivery_id: uuid.UUID) -> Sequence[WebhookAttempt]:
        statement = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.created_at, WebhookAttempt.attempt_number)
        )
        return (await self.session.scalars(statement)).all()
