"""What the gateway knows about a SIRET in the Chorus Pro directory, as plain values.

The checks, the API answer and the cache all work on these, so a directory answer can be
judged before (or without) being stored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

ACTIVE = "ACTIVE"
FACTURES_PUBLIQUES = "FACTURES_PUBLIQUES"


class Requirement(enum.Enum):
    """OCA's reading of consulterStructure `parametres` (API.md 3.12)."""

    NONE = "none"
    SERVICE = "service"
    ENGAGEMENT = "engagement"
    SERVICE_AND_ENGAGEMENT = "service_and_engagement"
    SERVICE_OR_ENGAGEMENT = "service_or_engagement"


@dataclass(frozen=True)
class ServiceEntry:
    id_service: int
    code: str
    name: str | None
    active: bool
    # consulterServiceStructure `numeroEngagement`; None until that service is consulted.
    engagement_required: bool | None = None


@dataclass(frozen=True)
class StructureEntry:
    siret: str
    match_count: int
    active_count: int
    id_structure_cpp: int | None
    designation: str | None
    status: str | None
    details_known: bool
    service_code_required: bool
    engagement_required: bool
    engagement_or_service_required: bool
    payment_status_not_reported: bool
    services: tuple[ServiceEntry, ...]
    fetched_at: datetime
    expires_at: datetime
    # Set when Chorus could not be asked again: the entry is older than its time to live.
    stale: bool = False
    # An invoice used it since it was fetched: the background refresh keeps it fresh.
    used_since_fetch: bool = False

    @property
    def found(self) -> bool:
        return self.match_count > 0

    @property
    def usable(self) -> bool:
        """The SIRET resolves to exactly one active structure whose parameters are known."""
        return self.active_count == 1 and self.details_known

    @property
    def requirement(self) -> Requirement:
        """gestionNumeroEJOuCodeService wins over the two other flags, as in OCA."""
        if self.engagement_or_service_required:
            return Requirement.SERVICE_OR_ENGAGEMENT
        if self.service_code_required and self.engagement_required:
            return Requirement.SERVICE_AND_ENGAGEMENT
        if self.service_code_required:
            return Requirement.SERVICE
        if self.engagement_required:
            return Requirement.ENGAGEMENT
        return Requirement.NONE

    @property
    def reports_payment(self) -> bool | None:
        """Whether the recipient reports payment on Chorus Pro (None: details not read)."""
        return not self.payment_status_not_reported if self.details_known else None

    def is_fresh(self, now: datetime) -> bool:
        return now < self.expires_at

    def service(self, code: str) -> ServiceEntry | None:
        """The service with this code, preferring an active one (a code may be reused)."""
        matches = [s for s in self.services if s.code == code]
        return next((s for s in matches if s.active), matches[0] if matches else None)

    def needs_service_details(self, code: str | None) -> bool:
        """True when checking `code` needs a consulterServiceStructure not yet made."""
        if not code or not self.usable or code == FACTURES_PUBLIQUES:
            return False
        service = self.service(code)
        return service is not None and service.active and service.engagement_required is None

    def with_service_flag(self, id_service: int, engagement_required: bool) -> StructureEntry:
        services = tuple(
            replace(s, engagement_required=engagement_required) if s.id_service == id_service else s
            for s in self.services
        )
        return replace(self, services=services)

    def as_stale(self) -> StructureEntry:
        return replace(self, stale=True)
