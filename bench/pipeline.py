"""Pipeline: accepted -> deposited by one worker process, the simulator answering each
deposit after 100 ms, at GATEWAY_WORKER_MAX_JOBS 20 and 100, beside a plain load generator
depositing straight on the same simulator with as many connections.

    python -m bench.pipeline [--quick] [--profile]

Each run posts N invoices through the API while no worker runs, then starts one worker and
times the deposits between 10 % and 90 % of them (its start-up left out); the worker's CPU
is read over the same window, its peak RSS at the end. Median of 3 runs per setting.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from bench.harness import (
    CLI,
    RUNS,
    Database,
    Process,
    Sampler,
    Servers,
    Table,
    bench_database,
    bench_redis,
    chorus_env,
    create_api_key,
    delay_deposits,
    gateway_env,
    median,
    post_many,
    run_async,
    say,
    servers,
    start_gateway_api,
    start_simulator,
    verdict,
)

DELAY = 0.1
SETTINGS = (20, 100)
GOAL_RATE = 200.0
GOAL_RSS_MB = 200.0


def _deposited(database: Database, tag: str) -> int:
    sql = "SELECT count(*) FROM invoices WHERE number LIKE $1 AND deposited_at IS NOT NULL"
    return int(run_async(database.fetchval(sql, f"{tag}%")))


def _one_run(
    up: Servers,
    database: Database,
    env: dict[str, str],
    api_url: str,
    key: str,
    tag: str,
    count: int,
    max_jobs: int,
    sampler_path: Any = None,
) -> dict[str, Any]:
    post_many(api_url, key, tag, count)
    worker_env = {**env, "GATEWAY_WORKER_MAX_JOBS": str(max_jobs)}
    worker = up.start(f"worker-{tag}", [*CLI, "worker"], worker_env)
    low, high = int(count * 0.1), int(count * 0.9)
    marks: dict[str, tuple[float, float]] = {}
    deadline = time.monotonic() + 60 + count / 10
    sampler = None
    try:
        while time.monotonic() < deadline:
            if not worker.alive():
                raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
            done = _deposited(database, tag)
            if done >= low and "low" not in marks:
                marks["low"] = (time.monotonic(), worker.cpu_seconds())
                if sampler_path is not None:
                    sampler = Sampler(worker.pid, 5, sampler_path).__enter__()
            if done >= high:
                marks["high"] = (time.monotonic(), worker.cpu_seconds())
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{tag}: only {_deposited(database, tag)} of {count} deposited")
        if sampler is not None:
            sampler.__exit__()
        rss = worker.peak_rss_mb()
    finally:
        worker.stop()
    (t0, cpu0), (t1, cpu1) = marks["low"], marks["high"]
    return {
        "rate": (high - low) / (t1 - t0),
        "cpu": 100 * (cpu1 - cpu0) / (t1 - t0),
        "rss_mb": rss,
        "shares": sampler.shares() if sampler is not None else [],
    }


def _direct(simulator_url: str, connections: int, seconds: float) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.deposits", simulator_url, str(connections)]
    done = subprocess.run([*command, str(seconds)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.deposits failed: {done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(quick: bool, profile: bool) -> dict[str, Any]:
    count = 300 if quick else 600
    seconds = 3.0 if quick else 8.0
    results: dict[str, Any] = {"count": count}
    with bench_redis() as redis, bench_database("pipeline") as database, servers("pipe") as up:
        # A long lifecycle step: the simulator does not move statuses during the run.
        _, simulator_url = start_simulator(up, step_seconds="3600")
        delay_deposits(simulator_url, DELAY)
        env = gateway_env(
            database, redis, **chorus_env(simulator_url), GATEWAY_STATUS_SYNC_INTERVAL="3600"
        )
        _, api_url = start_gateway_api(up, env)
        key = create_api_key(env)
        post_many(api_url, key, "WARM", 20)  # the recipient's directory entry, the token
        warm = up.start("worker-warm", [*CLI, "worker"], env)
        while _deposited(database, "WARM") < 20:
            _check_alive(warm)
            time.sleep(0.2)
        warm.stop()
        for max_jobs in SETTINGS:
            runs = [
                _one_run(up, database, env, api_url, key, f"J{max_jobs}R{run}-", count, max_jobs)
                for run in range(RUNS)
            ]
            direct = [_direct(simulator_url, max_jobs, seconds) for _ in range(RUNS)]
            results[str(max_jobs)] = {
                "rate": median([r["rate"] for r in runs]),
                "cpu": median([r["cpu"] for r in runs]),
                "rss_mb": max(r["rss_mb"] for r in runs),
                "direct": median([d["rate"] for d in direct]),
                "direct_p50": median([d["p50"] for d in direct]),
            }
        if profile:
            out = up.dir / "worker.pyspy"
            run = _one_run(up, database, env, api_url, key, "PROF-", count, 100, out)
            results["profile"] = run["shares"]
    return results


def _check_alive(process: Process) -> None:
    if not process.alive():
        raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")


def report(results: dict[str, Any]) -> list[Table]:
    table = Table(
        f"Pipeline: accepted -> deposited, deposits answered after {1000 * DELAY:.0f} ms, "
        f"one worker, {results['count']} invoices a run (median of 3)",
        [
            "GATEWAY_WORKER_MAX_JOBS",
            "invoices/s",
            "worker CPU",
            "direct deposits/s",
            "gateway / direct",
            "goal",
        ],
    )
    for max_jobs in SETTINGS:
        row = results[str(max_jobs)]
        table.add(
            max_jobs,
            row["rate"],
            f"{row['cpu']:.0f} %",
            f"{row['direct']:.1f} ({max_jobs} conn.)",
            f"{100 * row['rate'] / row['direct']:.0f} %",
            f">= {GOAL_RATE:.0f}/s: {verdict(row['rate'] >= GOAL_RATE)}",
        )
    rss = max(results[str(m)]["rss_mb"] for m in SETTINGS)
    table.add(
        "worker peak RSS (MB)",
        rss,
        "",
        "",
        "",
        f"<= {GOAL_RSS_MB:.0f} MB: {verdict(rss <= GOAL_RSS_MB)}",
    )
    tables = [table]
    if results.get("profile"):
        prof = Table(
            "Pipeline: where the worker's busy time goes (py-spy, innermost package)",
            ["part", "share"],
        )
        for name, share in results["profile"]:
            prof.add(name, f"{share:.0f} %")
        tables.append(prof)
    return tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 invoices a run, 3 s direct")
    parser.add_argument("--profile", action="store_true", help="also profile the worker")
    args = parser.parse_args(argv)
    for table in report(measure(args.quick, args.profile)):
        say(table.render())


if __name__ == "__main__":
    main()
