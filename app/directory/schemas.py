"""API shapes of the directory: what an ERP needs to ask the buyer for before invoicing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.directory.entries import FACTURES_PUBLIQUES, StructureEntry


class Requirements(BaseModel):
    service_code_required: bool = Field(description="codeServiceDoitEtreRenseigne")
    engagement_required: bool = Field(description="numeroEJDoitEtreRenseigne")
    engagement_or_service_required: bool = Field(
        description="gestionNumeroEJOuCodeService: a service code or an engagement number; "
        "when true it replaces the two flags above."
    )
    payment_status_not_reported: bool = Field(
        description="statutMiseEnPaiementNestPasRemonte: the invoice will stop at `approved`."
    )


class ServiceRead(BaseModel):
    code: str
    name: str | None
    engagement_required: bool | None = Field(
        description="The service requires an engagement number; null until an invoice used it."
    )


class StructureRead(BaseModel):
    siret: str
    id_structure_cpp: int | None
    designation: str | None
    status: str | None = Field(description="Chorus Pro's status, e.g. ACTIVE.")
    active: bool
    requirements: Requirements | None = Field(
        description="Null when the structure is not active (Chorus was not asked)."
    )
    services: list[ServiceRead] = Field(
        description="Active services an invoice may name (FACTURES_PUBLIQUES excluded)."
    )
    fetched_at: datetime = Field(description="When Chorus Pro said this.")
    expires_at: datetime
    stale: bool = Field(
        description="Chorus Pro did not answer in time: this is the cached entry, past its "
        "time to live."
    )

    @classmethod
    def from_entry(cls, entry: StructureEntry) -> StructureRead:
        requirements = None
        if entry.usable:
            requirements = Requirements(
                service_code_required=entry.service_code_required,
                engagement_required=entry.engagement_required,
                engagement_or_service_required=entry.engagement_or_service_required,
                payment_status_not_reported=entry.payment_status_not_reported,
            )
        return cls(
            siret=entry.siret,
            id_structure_cpp=entry.id_structure_cpp,
            designation=entry.designation,
            status=entry.status,
            active=entry.usable,
            requirements=requirements,
            services=[
                ServiceRead(code=s.code, name=s.name, engagement_required=s.engagement_required)
                for s in entry.services
                if s.active and s.code != FACTURES_PUBLIQUES
            ],
            fetched_at=entry.fetched_at,
            expires_at=entry.expires_at,
            stale=entry.stale,
        )
