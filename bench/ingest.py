"""Ingest: `POST /v1/invoices` (10 lines, 32 connections) against a raw-asyncpg endpoint.

    python -m bench.ingest [--quick] [--profile]

Both sides are one uvicorn process on the same database, loaded by the same `wrk` in turn
(gateway, raw, gateway, …); each figure is the median of 3 runs. Also: one connection's
latency, the API's peak RSS (with the official rule sets too when EN16931_SCHEMATRON_DIR
is set), and with `--profile` where the API's busy time goes (py-spy, innermost package).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench.harness import (
    RUNS,
    Load,
    Sampler,
    Table,
    bench_database,
    bench_redis,
    create_api_key,
    gateway_env,
    median,
    post_invoices_lua,
    run_wrk,
    say,
    servers,
    start_gateway_api,
    start_raw,
    verdict,
    wrk_script,
)

CONNECTIONS = 32
GOAL_RATIO = 0.60
GOAL_P99_MS = 100.0
GOAL_RSS_MB = 200.0


def _post(url: str, key: str, tag: str, connections: int, seconds: float) -> Load:
    script = wrk_script(post_invoices_lua("/v1/invoices", key, tag))
    load = run_wrk(url, script, connections=connections, seconds=seconds)
    if load.bad_status or load.errors:
        raise RuntimeError(f"{tag}: {load.bad_status} non-2xx answers, {load.errors} errors")
    return load


def measure(quick: bool, profile: bool) -> dict[str, Any]:
    seconds = 3.0 if quick else 10.0
    results: dict[str, Any] = {}
    with bench_redis() as redis, bench_database("ingest") as database, servers("ingest") as up:
        env = gateway_env(database, redis)
        api, api_url = start_gateway_api(up, env)
        key = create_api_key(env)
        raw_server, raw_url = start_raw(up, database)
        _post(api_url, key, "WG", CONNECTIONS, 2)  # warm both (pools, caches, JIT-less paths)
        _post(raw_url, "-", "WR", CONNECTIONS, 2)
        gateway: list[Load] = []
        raw: list[Load] = []
        cpu = {"gateway": 0.0, "raw": 0.0}
        for run in range(RUNS):
            before = api.cpu_seconds()
            gateway.append(_post(api_url, key, f"G{run}", CONNECTIONS, seconds))
            cpu["gateway"] += api.cpu_seconds() - before
            before = raw_server.cpu_seconds()
            raw.append(_post(raw_url, "-", f"R{run}", CONNECTIONS, seconds))
            cpu["raw"] += raw_server.cpu_seconds() - before
        # CPU per answer: what a request costs the server process, whatever else runs.
        results["cpu_ms"] = {
            side: 1000
            * spent
            / sum(load.requests for load in (gateway if side == "gateway" else raw))
            for side, spent in cpu.items()
        }
        single_gateway = [_post(api_url, key, f"g{run}", 1, seconds / 2) for run in range(RUNS)]
        single_raw = [_post(raw_url, "-", f"r{run}", 1, seconds / 2) for run in range(RUNS)]
        stored = sum(load.requests for load in gateway + single_gateway)
        counted = _count_gateway_rows(database, stored)
        results["rss_mb"] = api.peak_rss_mb()
        results.update(
            gateway=_figures(gateway),
            raw=_figures(raw),
            single_gateway=_figures(single_gateway),
            single_raw=_figures(single_raw),
            stored_ok=counted,
        )
        if profile:
            with Sampler(api.pid, seconds, up.dir / "api.pyspy") as sampler:
                _post(api_url, key, "P", CONNECTIONS, seconds)
            results["profile"] = sampler.shares()
        official = os.environ.get("EN16931_SCHEMATRON_DIR")
        if official:
            api.stop()
            official_env = {**env, "EN16931_SCHEMATRON_DIR": official}
            api2, url2 = start_gateway_api(up, official_env, name="api-official")
            loads = [_post(url2, key, f"O{run}", CONNECTIONS, seconds) for run in range(RUNS)]
            results["official"] = {**_figures(loads), "rss_mb": api2.peak_rss_mb()}
    return results


def _figures(loads: list[Load]) -> dict[str, float]:
    return {
        "rate": median([x.rate for x in loads]),
        "p50": median([x.p50 for x in loads]),
        "p99": median([x.p99 for x in loads]),
    }


def _count_gateway_rows(database: Any, answered: int) -> bool:
    """Every 202 the gateway gave is an invoice row with its history line."""
    from bench.harness import run_async

    sql = "SELECT count(*) FROM invoices i WHERE number LIKE 'G%' OR number LIKE 'g%'"
    rows = run_async(database.fetchval(sql))
    return bool(rows >= answered)


def report(results: dict[str, Any]) -> list[Table]:
    gateway, raw = results["gateway"], results["raw"]
    ratio = gateway["rate"] / raw["rate"]
    table = Table(
        "Ingest: POST /v1/invoices, 10 lines, one uvicorn process (median of 3)",
        ["case", "req/s", "p50 ms", "p99 ms", "goal"],
    )
    table.add(
        f"gateway, {CONNECTIONS} connections",
        gateway["rate"],
        gateway["p50"],
        gateway["p99"],
        f"p99 < {GOAL_P99_MS:.0f} ms: {verdict(gateway['p99'] < GOAL_P99_MS)}",
    )
    table.add(f"raw asyncpg, {CONNECTIONS} connections", raw["rate"], raw["p50"], raw["p99"], "")
    table.add(
        "ratio gateway / raw",
        f"{100 * ratio:.0f} %",
        "",
        "",
        f">= {100 * GOAL_RATIO:.0f} %: {verdict(ratio >= GOAL_RATIO)}",
    )
    single, single_raw = results["single_gateway"], results["single_raw"]
    table.add("gateway, 1 connection", single["rate"], single["p50"], single["p99"], "")
    table.add(
        "raw asyncpg, 1 connection", single_raw["rate"], single_raw["p50"], single_raw["p99"], ""
    )
    if "cpu_ms" in results:
        table.add(
            "server CPU per POST, 32 conn. (ms)",
            f"{results['cpu_ms']['gateway']:.2f}",
            "",
            "",
            f"raw: {results['cpu_ms']['raw']:.2f}",
        )
    table.add(
        "API peak RSS (MB)",
        results["rss_mb"],
        "",
        "",
        f"<= {GOAL_RSS_MB:.0f} MB: {verdict(results['rss_mb'] <= GOAL_RSS_MB)}",
    )
    if "official" in results:
        official = results["official"]
        table.add(
            "gateway + official rules, 32 conn.",
            official["rate"],
            official["p50"],
            official["p99"],
            f"RSS {official['rss_mb']:.0f} MB",
        )
    else:
        table.add("official rule sets", "not run", "", "", "EN16931_SCHEMATRON_DIR unset")
    table.add("every 202 stored", str(results["stored_ok"]), "", "", "")
    tables = [table]
    if results.get("profile"):
        prof = Table(
            "Ingest: where the API's busy time goes (py-spy, innermost package)", ["part", "share"]
        )
        for name, share in results["profile"]:
            prof.add(name, f"{share:.0f} %")
        tables.append(prof)
    return tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs instead of 10 s")
    parser.add_argument("--profile", action="store_true", help="also profile the API")
    args = parser.parse_args(argv)
    for table in report(measure(args.quick, args.profile)):
        say(table.render())


if __name__ == "__main__":
    main()
