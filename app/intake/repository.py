"""SQL of intake: one insert that also tells a replay or a number already used."""

from __future__ import annotations

from typing import cast

from sqlalchemy import String, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert

from app.kit.repository import Repository
from app.models.invoice import Invoice
from app.models.supplier import Supplier

_INVOICES = cast(Table, Invoice.__table__)
_SUPPLIERS = cast(Table, Supplier.__table__)
_INSERT_NEW = (
    insert(_INVOICES)
    .values(
        {
            **{c.key: bindparam(c.key, type_=c.type) for c in _INVOICES.columns},
            "syntax": func.coalesce(
                bindparam("wanted_syntax", type_=String),
                select(_SUPPLIERS.c.default_syntax)
                .where(_SUPPLIERS.c.siret == bindparam("supplier_siret"))
                .scalar_subquery(),
                bindparam("syntax"),
            ),
        }
    )
    .on_conflict_do_nothing()
    .returning(_INVOICES.c.syntax)
)
"""Built once: intake runs it for every invoice (Core on the table, no ORM bookkeeping)."""


class IntakeRepository(Repository[Invoice]):
    model = Invoice

    async def insert_new(self, invoice: Invoice, *, wanted_syntax: str | None) -> str | None:
        """Insert the invoice unless its key or its number is taken; its syntax, or None.

        The syntax is the one asked for, else the supplier's default, else the invoice's,
        read in the same statement. A conflict with a transaction still in progress waits
        for it, so that two identical requests never both succeed.
        """
        params = {column.key: getattr(invoice, column.key) for column in _INVOICES.columns}
        params["wanted_syntax"] = wanted_syntax
        result = await self.session.execute(_INSERT_NEW, params)
        syntax: str | None = result.scalar()
        return syntax

    async def get_by_idempotency_key(self, key: str) -> Invoice | None:
        return await self.session.scalar(select(Invoice).where(Invoice.idempotency_key == key))

    async def number_is_used(self, supplier_siret: str, number: str) -> bool:
        """Whether an invoice holds this supplier's number (the unique index's rows)."""
        found = await self.session.scalar(
            select(Invoice.id)
            .where(
                Invoice.supplier_siret == supplier_siret,
                Invoice.number == number,
                Invoice.reuses_number_allowed.is_(False),
            )
            .limit(1)
        )
        return found is not None
