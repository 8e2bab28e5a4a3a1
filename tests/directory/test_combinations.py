"""Every directory combination of the simulator, checked through a real ChorusClient over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chorus import ChorusClient
from app.directory import directory_errors
from tests.factories import invoice_document
from tests.support.simulator import SimulatorAdmin

from .conftest import TIMEOUT

PAYS = "21330063500025"
EJ = "EJ1300458721"
SCENARIO_RECIPIENTS = [
    "21330063500025",
    "21750001600019",
    "21690123100011",
    "21130055300016",
    "21310555400017",
]

# (recipient, service code, engagement number) -> (field, code) of each error, in order.
CASES: list[tuple[str, str | None, str | None, list[tuple[str, str]]]] = [
    # Example 05: service required, SERV-FINANCES requires an EJ itself.
    (PAYS, "SERV-FINANCES", EJ, []),
    (PAYS, "SERV-FINANCES", None, [("engagement_number", "CPP-DIR-09")]),
    (PAYS, None, EJ, [("service_code", "CPP-DIR-04")]),
    (PAYS, "SERV-TECH", EJ, [("service_code", "CPP-DIR-07")]),
    (PAYS, "FACTURES_PUBLIQUES", EJ, [("service_code", "CPP-DIR-05")]),
    (PAYS, "SERV-INCONNU", EJ, [("service_code", "CPP-DIR-06")]),
    # Service code required.
    ("21330100500012", None, EJ, [("service_code", "CPP-DIR-04")]),
    ("21330100500012", "SERV-ACCUEIL", None, []),
    # Engagement required.
    ("21330101300016", "SERV-FINANCES", None, [("engagement_number", "CPP-DIR-08")]),
    ("21330101300016", None, EJ, []),
    # Both required.
    (
        "21330102100019",
        None,
        None,
        [("service_code", "CPP-DIR-04"), ("engagement_number", "CPP-DIR-08")],
    ),
    ("21330102100019", "SERV-FINANCES", EJ, []),
    # Either one (gestionNumeroEJOuCodeService).
    (
        "21330103900011",
        None,
        None,
        [("service_code", "CPP-DIR-10"), ("engagement_number", "CPP-DIR-10")],
    ),
    ("21330103900011", "SERV-FINANCES", None, []),
    ("21330103900011", None, EJ, []),
    # Either one wins over the two other flags (OCA mapping).
    ("21330104700014", None, EJ, []),
    ("21330104700014", "SERV-FINANCES", None, []),
    (
        "21330104700014",
        None,
        None,
        [("service_code", "CPP-DIR-10"), ("engagement_number", "CPP-DIR-10")],
    ),
    # Nothing required; a code that is given must still exist.
    ("21330105400010", None, None, []),
    ("21330105400010", "SERV-INCONNU", None, [("service_code", "CPP-DIR-06")]),
    # Inactive structure.
    ("21330106200013", "SERV-FINANCES", EJ, [("recipient.siret", "CPP-DIR-02")]),
    # Inactive service, and the active one next to it.
    ("21330107000016", "SERV-FINANCES", EJ, [("service_code", "CPP-DIR-07")]),
    ("21330107000016", "SERV-COMPTABILITE", None, []),
    # Only FACTURES_PUBLIQUES.
    ("21330108800018", "FACTURES_PUBLIQUES", EJ, [("service_code", "CPP-DIR-05")]),
    ("21330108800018", None, EJ, [("service_code", "CPP-DIR-04")]),
    # A service whose own numeroEngagement flag is set.
    ("21330109600011", "SERV-MARCHES", None, [("engagement_number", "CPP-DIR-09")]),
    ("21330109600011", "SERV-MARCHES", EJ, []),
    ("21330109600011", "SERV-FINANCES", None, []),
    # Two active structures for one SIRET.
    ("21330110400013", "SERV-FINANCES", EJ, [("recipient.siret", "CPP-DIR-03")]),
    # Unknown SIRET.
    ("21330063500033", "SERV-FINANCES", EJ, [("recipient.siret", "CPP-DIR-01")]),
    # Many services, on several pages at Chorus's default page size.
    ("21330111200016", "SERV-025", None, [("service_code", "CPP-DIR-07")]),
    ("21330111200016", "SERV-024", None, []),
]


@pytest.mark.parametrize(("recipient", "service", "engagement", "expected"), CASES)
async def test_directory_combination(
    recipient: str,
    service: str | None,
    engagement: str | None,
    expected: list[tuple[str, str]],
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    async with sessionmaker() as session:
        errors = await directory_errors(
            session,
            chorus,
            invoice_document(recipient=recipient, service=service, engagement=engagement),
            TIMEOUT,
        )
    assert [(e.field, e.code) for e in errors] == expected
    for error in errors:
        assert error.message and error.message_fr


@pytest.mark.parametrize("recipient", SCENARIO_RECIPIENTS)
async def test_scenario_recipients_accept_the_example_invoice(
    recipient: str,
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    async with sessionmaker() as session:
        assert (
            await directory_errors(session, chorus, invoice_document(recipient=recipient), TIMEOUT)
            == []
        )
