"""Scale: POST, `GET /v1/invoices/{id}/status` and a filtered list page at 1,000 invoices
and at 1,000,000 (bulk-loaded with INSERT … SELECT), beside the raw-asyncpg endpoints.

    python -m bench.scale [--quick]      # --quick: 100,000 instead of 1,000,000, 3 s runs

One database, one gateway API process and one raw process: measured at the small size,
then the table is grown in place, vacuumed and analysed, and measured again. Ratios are
large / small (goal: POST within 1.2x, reads within 1.0x) and gateway / raw for reads.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import httpx

from bench.harness import (
    RUNS,
    Database,
    Load,
    Table,
    bench_database,
    bench_redis,
    create_api_key,
    gateway_env,
    get_paths_lua,
    invoice_body,
    median,
    post_invoices_lua,
    run_async,
    run_wrk,
    say,
    servers,
    start_gateway_api,
    start_raw,
    verdict,
    wrk_script,
)

SMALL = 1_000
LARGE = 1_000_000
QUICK_LARGE = 100_000
CONNECTIONS = 32
LIST_QUERY = "?status=submitted&limit=50"  # a filtered first page, newest first
NOISE = 1.05  # reads "within 1.0x": no slower, give or take this run-to-run noise
STATUSES = ["paid"] * 5 + ["submitted", "delivered", "approved", "rejected", "accepted"]

GROW = """
INSERT INTO invoices (id, idempotency_key, request_hash, number, type_code, supplier_siret,
  recipient_siret, service_code, engagement_number, issue_date, due_date, currency,
  total_without_vat, total_vat, total_with_vat, amount_due, document, syntax, status,
  status_changed_at, status_comment, reuses_number_allowed, chorus_status, flux_number,
  deposited_at, chorus_invoice_id, followed, submit_attempts, poll_failures,
  has_original_file, created_at, updated_at, version)
SELECT uuid7(), 'bulk-' || n, t.request_hash, 'BULK-' || n, t.type_code, t.supplier_siret,
  -- 50 recipients, so that a recipient filter is selective too
  lpad((21330063500000 + n % 50)::text, 14, '0'), t.service_code, t.engagement_number,
  t.issue_date, t.due_date, t.currency, t.total_without_vat, t.total_vat, t.total_with_vat,
  t.amount_due, t.document, t.syntax, ($3::text[])[n % 10 + 1], t.created_at,
  t.status_comment, false, NULL, 'FLUX-' || n, t.created_at, 900000000 + n, false, 1, 0,
  false,
  -- spread over the last year, older than anything the bench posts
  now() - interval '1 year' + (n * interval '1 year' / $2), now(), 1
FROM invoices t, generate_series($1::bigint, $2::bigint) AS n
WHERE t.id = $4
"""
GROW_EVENTS = """
INSERT INTO invoice_events (id, invoice_id, occurred_at, recorded_at, source, status, comment)
SELECT uuid7(), i.id, i.created_at, i.created_at, 'erp', 'accepted', 'Invoice accepted'
FROM invoices i WHERE i.number LIKE 'BULK-%' AND NOT EXISTS (
  SELECT 1 FROM invoice_events e WHERE e.invoice_id = i.id)
"""


async def _grow(database: Database, first: int, last: int, template: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(database.url)
    try:
        import uuid

        await connection.execute(GROW, first, last, STATUSES, uuid.UUID(template))
        await connection.execute(GROW_EVENTS)
        await connection.execute("VACUUM ANALYZE invoices")
        await connection.execute("VACUUM ANALYZE invoice_events")
    finally:
        await connection.close()


def _sample_ids(database: Database, count: int) -> list[str]:
    sql = "SELECT id::text FROM invoices TABLESAMPLE SYSTEM_ROWS($1)"
    try:
        rows = run_async(database.fetch(sql, count))
    except Exception:  # tsm_system_rows missing: a random offset scan is fine here
        rows = run_async(
            database.fetch("SELECT id::text FROM invoices ORDER BY random() LIMIT $1", count)
        )
    return [row[0] for row in rows]


def _checked(load: Load, what: str) -> Load:
    if load.bad_status or load.errors:
        raise RuntimeError(f"{what}: {load.bad_status} non-2xx answers, {load.errors} errors")
    return load


def _size_figures(
    database: Database, api_url: str, raw_url: str, key: str, tag: str, seconds: float
) -> dict[str, dict[str, float]]:
    ids = _sample_ids(database, 2000)
    status_paths = [f"/v1/invoices/{invoice_id}/status" for invoice_id in ids]
    list_path = [f"/v1/invoices{LIST_QUERY}"]
    cases: dict[str, tuple[str, int, Callable[[int], str]]] = {
        "post_1conn": (
            api_url,
            1,
            lambda run: post_invoices_lua("/v1/invoices", key, f"{tag}{run}s"),
        ),
        "post": (
            api_url,
            CONNECTIONS,
            lambda run: post_invoices_lua("/v1/invoices", key, f"{tag}{run}m"),
        ),
        "status": (api_url, CONNECTIONS, lambda _: get_paths_lua(status_paths, key)),
        "status_raw": (raw_url, CONNECTIONS, lambda _: get_paths_lua(status_paths, None)),
        "list": (api_url, CONNECTIONS, lambda _: get_paths_lua(list_path, key)),
        "list_raw": (raw_url, CONNECTIONS, lambda _: get_paths_lua(list_path, None)),
    }
    loads: dict[str, list[Load]] = {name: [] for name in cases}
    for run in range(RUNS):
        for name, (url, connections, request) in cases.items():
            script = wrk_script(request(run))
            load = run_wrk(url, script, connections=connections, seconds=seconds)
            loads[name].append(_checked(load, f"{tag} {name}"))
    return {
        name: {
            "rate": median([x.rate for x in runs]),
            "p50": median([x.p50 for x in runs]),
            "p99": median([x.p99 for x in runs]),
        }
        for name, runs in loads.items()
    }


def measure(quick: bool) -> dict[str, Any]:
    seconds = 3.0 if quick else 8.0
    large = QUICK_LARGE if quick else LARGE
    with bench_redis() as redis, bench_database("scale") as database, servers("scale") as up:
        env = gateway_env(database, redis)
        _, api_url = start_gateway_api(up, env)
        key = create_api_key(env)
        _, raw_url = start_raw(up, database)
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "template"}
        answer = httpx.post(
            f"{api_url}/v1/invoices", json=invoice_body(number="TEMPLATE"), headers=headers
        )
        answer.raise_for_status()
        template = answer.json()["id"]
        run_async(_grow(database, 1, SMALL - 1, template))
        small_count = run_async(database.fetchval("SELECT count(*) FROM invoices"))
        small = _size_figures(database, api_url, raw_url, key, "A", seconds)
        say(f"  measured at {small_count:,} invoices; growing to {large:,} …")
        run_async(_grow(database, SMALL, large - 1, template))
        large_count = run_async(database.fetchval("SELECT count(*) FROM invoices"))
        big = _size_figures(database, api_url, raw_url, key, "B", seconds)
        size = run_async(
            database.fetchval("SELECT pg_size_pretty(pg_database_size($1))", database.name)
        )
        plan = run_async(
            database.fetch(
                "EXPLAIN SELECT 1 FROM invoices WHERE supplier_siret = $1 AND number = $2 "
                "AND reuses_number_allowed = false",
                "81234567600017",
                "BULK-7",
            )
        )
    return {
        "small_count": small_count,
        "large_count": large_count,
        "small": small,
        "large": big,
        "database_size": size,
        "number_check_plan": json.dumps([row[0] for row in plan][:2]),
    }


def report(results: dict[str, Any]) -> list[Table]:
    small, large = results["small"], results["large"]
    n_small, n_large = results["small_count"], results["large_count"]
    table = Table(
        f"Scale: {n_small:,} vs {n_large:,} invoices ({results['database_size']}), median of 3",
        ["case", f"at {n_small:,}", f"at {n_large:,}", "large/small", "goal"],
    )
    post_ratio = large["post_1conn"]["p50"] / small["post_1conn"]["p50"]
    table.add(
        "POST, 1 connection, p50 ms",
        small["post_1conn"]["p50"],
        large["post_1conn"]["p50"],
        f"{post_ratio:.2f}x",
        f"<= 1.2x: {verdict(post_ratio <= 1.2)}",
    )
    post_rate = small["post"]["rate"] / large["post"]["rate"]
    table.add(
        f"POST, {CONNECTIONS} conn., req/s",
        small["post"]["rate"],
        large["post"]["rate"],
        f"{post_rate:.2f}x slower",
        "",
    )
    for name, label in (("status", "GET …/status"), ("list", f"GET list {LIST_QUERY}")):
        gateway_ratio = small[name]["rate"] / large[name]["rate"]
        table.add(
            f"{label}, req/s",
            small[name]["rate"],
            large[name]["rate"],
            f"{gateway_ratio:.2f}x slower",
            f"<= 1.0x (5 % noise): {verdict(gateway_ratio <= NOISE)}",
        )
        table.add(
            f"{label}, p50 ms",
            small[name]["p50"],
            large[name]["p50"],
            f"{large[name]['p50'] / small[name]['p50']:.2f}x",
            "",
        )
        raw = f"{name}_raw"
        table.add(
            "  raw asyncpg, req/s",
            small[raw]["rate"],
            large[raw]["rate"],
            f"{small[raw]['rate'] / large[raw]['rate']:.2f}x slower",
            "",
        )
        table.add(
            "  gateway / raw",
            f"{100 * small[name]['rate'] / small[raw]['rate']:.0f} %",
            f"{100 * large[name]['rate'] / large[raw]['rate']:.0f} %",
            "",
            "",
        )
    return [table]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_LARGE:,} invoices, 3 s")
    args = parser.parse_args(argv)
    results = measure(args.quick)
    for table in report(results):
        say(table.render())
    say(f"number check plan at the large size: {results['number_check_plan']}")


if __name__ == "__main__":
    main()
