"""Schemathesis over the whole API, on a real socket, with a test key: no 5xx, nothing off
the OpenAPI document (statuses, media types, problem bodies, headers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.config import Settings
from app.kit.db import create_engine, create_sessionmaker
from app.main import create_app
from tests.support.keys import bearer, grant
from tests.support.live import serve

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
MAX_EXAMPLES = 6  # per operation: 39 operations in about a minute
DOCUMENT_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.missing_required_header,  # no key: 401, before anything else is read
    checks.ignored_auth,
    checks.negative_data_rejection,
    checks.unsupported_method,
    checks.allow_header_conformance,
]
"""No 5xx, every answer as the document describes it, schema-violating requests refused,
and 405 with an exact `Allow` for methods no route has. Left out: `positive_data_acceptance`
(a schema-valid invoice may break a business rule: 422 by design) and the stateful checks
(`use_after_free`, `ensure_resource_availability`), which need links between operations."""


async def _admin_key(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        return await grant(create_sessionmaker(engine), name="schemathesis")
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def live_api(database_url: str, redis_url: str, simulator_url: str) -> Iterator[tuple[str, str]]:
    app_settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=simulator_url,
        piste_token_url=f"{simulator_url}/api/oauth/token",
        chorus_timeout=10.0,
        directory_lookup_timeout=10.0,
        api_key_rate_limit="1000000/minute",  # thousands of calls in a minute, one key
    )
    key = asyncio.run(_admin_key(database_url))
    with serve(create_app(app_settings)) as url:
        yield url, key


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_document(case: schemathesis.Case, live_api: tuple[str, str]) -> None:
    url, key = live_api
    case.call_and_validate(base_url=url, headers=bearer(key), timeout=30, checks=DOCUMENT_CHECKS)
