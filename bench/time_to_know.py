"""Time to know: a status change at the simulator -> known by the gateway (its history line)
-> a verified webhook at a receiver; p50 / p99 against the status sync interval.

    python -m bench.time_to_know [--quick]

One API, one worker, the simulator moving each invoice along the paying path one status
every SIMULATOR_STEP_SECONDS; the gateway syncs every GATEWAY_STATUS_SYNC_INTERVAL. The
receiver (in this process) checks every signature. Each change's time is the simulator's
own event time; the gateway's is its history line's `recorded_at`, the receiver's the
arrival. Also counts the simulator statuses missing from the gateway's history, and the
history calls it took to recover the statuses passed between two syncs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from datetime import datetime
from typing import Any

import httpx
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from bench.harness import (
    CLI,
    RUNS,
    Database,
    Table,
    bench_database,
    bench_redis,
    chorus_env,
    create_api_key,
    free_port,
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

SYNC_SECONDS = 5.0
STEP_SECONDS = 3.0
GOAL_SLACK = 2.0
HISTORY = "consulterHistoriqueFacture"


class Receiver:
    """A webhook receiver on a real socket: (number, chorus status) -> first verified arrival."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrivals: dict[tuple[str, str], float] = {}
        self.refused = 0
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.text()
        arrived = time.time()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except Exception:
            self.refused += 1
            return web.Response(status=400)
        data = json.loads(body)["data"]
        self.arrivals.setdefault((data["number"], data["chorus_status"] or ""), arrived)
        return web.Response(status=204)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._loop.run_forever()

    def start(self) -> str:
        self._thread.start()
        return f"http://127.0.0.1:{self.port}/hook"


def _simulator_events(simulator_url: str, chorus_ids: list[int]) -> dict[tuple[str, str], float]:
    events: dict[tuple[str, str], float] = {}
    with httpx.Client(base_url=simulator_url, timeout=10) as client:
        for chorus_id in chorus_ids:
            view = client.get(f"/_simulator/invoices/{chorus_id}").json()
            for event in view["evenements"]:
                if event["atteint"]:
                    at = datetime.fromisoformat(event["at"]).timestamp()
                    events[(view["numeroFacture"], event["code"])] = at
    return events


def _known(database: Database, tag: str) -> tuple[dict[tuple[str, str], float], list[int]]:
    rows = run_async(
        database.fetch(
            "SELECT i.number, e.chorus_status, min(e.recorded_at) AS at FROM invoice_events e "
            "JOIN invoices i ON i.id = e.invoice_id WHERE i.number LIKE $1 "
            "AND e.chorus_status IS NOT NULL GROUP BY i.number, e.chorus_status",
            f"{tag}%",
        )
    )
    ids = run_async(
        database.fetch(
            "SELECT chorus_invoice_id FROM invoices WHERE number LIKE $1 "
            "AND chorus_invoice_id IS NOT NULL",
            f"{tag}%",
        )
    )
    known = {(r["number"], r["chorus_status"]): r["at"].timestamp() for r in rows}
    return known, [r[0] for r in ids]


def _calls(simulator_url: str) -> dict[str, int]:
    return dict(httpx.get(f"{simulator_url}/_simulator/stats", timeout=10).json()["calls"])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def _one_run(
    database: Database,
    api_url: str,
    simulator_url: str,
    key: str,
    tag: str,
    count: int,
    receiver: Receiver,
) -> dict[str, float]:
    calls_before = _calls(simulator_url)
    post_many(api_url, key, tag, count, connections=8)
    deadline = time.monotonic() + 60 + 12 * STEP_SECONDS + 3 * SYNC_SECONDS
    sql = "SELECT count(*) FROM invoices WHERE number LIKE $1 AND status = 'paid'"
    while time.monotonic() < deadline:
        if run_async(database.fetchval(sql, f"{tag}%")) >= count:
            break
        time.sleep(1)
    time.sleep(SYNC_SECONDS)  # the last webhooks
    calls = _calls(simulator_url)
    histories = calls.get(HISTORY, 0) - calls_before.get(HISTORY, 0)
    known, chorus_ids = _known(database, tag)
    changes = _simulator_events(simulator_url, chorus_ids)
    to_known = [known[k] - at for k, at in changes.items() if k in known]
    to_hook = [receiver.arrivals[k] - at for k, at in changes.items() if k in receiver.arrivals]
    return {
        "changes": len(changes),
        "missing": sum(1 for k in changes if k not in known),
        "known_p50": _percentile(to_known, 0.5),
        "known_p99": _percentile(to_known, 0.99),
        "hook_p50": _percentile(to_hook, 0.5),
        "hook_p99": _percentile(to_hook, 0.99),
        "hooks": len(to_hook),
        "history_calls": histories,
    }


def measure(quick: bool) -> dict[str, Any]:
    count = 20 if quick else 100
    receiver = Receiver()
    hook_url = receiver.start()
    with bench_redis() as redis, bench_database("ttk") as database, servers("ttk") as up:
        _, simulator_url = start_simulator(up, step_seconds=str(STEP_SECONDS))
        env = gateway_env(
            database,
            redis,
            **chorus_env(simulator_url),
            GATEWAY_STATUS_SYNC_INTERVAL=str(SYNC_SECONDS),
            GATEWAY_FLUX_POLL_INTERVAL="1",
            GATEWAY_RELAY_INTERVAL="1",
        )
        _, api_url = start_gateway_api(up, env)
        key = create_api_key(env)
        created = httpx.post(
            f"{api_url}/v1/webhook-endpoints",
            json={"url": hook_url},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        created.raise_for_status()
        receiver.secret = created.json()["secret"]
        worker = up.start("worker", [*CLI, "worker"], env)
        runs = []
        for run in range(RUNS):
            if not worker.alive():
                raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
            runs.append(
                _one_run(database, api_url, simulator_url, key, f"T{run}-", count, receiver)
            )
    result = {name: median([r[name] for r in runs]) for name in runs[0]}
    result["count"] = count
    result["refused"] = receiver.refused
    return result


def report(results: dict[str, Any]) -> list[Table]:
    goal = SYNC_SECONDS + GOAL_SLACK
    table = Table(
        f"Time to know: {results['count']} paid invoices a run, sync every {SYNC_SECONDS:.0f} s, "
        f"simulator step {STEP_SECONDS:.0f} s (median of 3)",
        ["from a change at the simulator to", "p50 s", "p99 s", "goal"],
    )
    table.add(
        "known by the gateway (history line)",
        results["known_p50"],
        results["known_p99"],
        f"p99 <= {goal:.0f} s: {verdict(results['known_p99'] <= goal)}",
    )
    table.add(
        "verified webhook at the receiver",
        results["hook_p50"],
        results["hook_p99"],
        f"p99 <= {goal:.0f} s: {verdict(results['hook_p99'] <= goal)}",
    )
    table.add("status changes at the simulator", f"{results['changes']:.0f}", "", "")
    table.add("  missing from the gateway's history", f"{results['missing']:.0f}", "", "")
    table.add(
        "  history calls (statuses passed between two looks)",
        f"{results['history_calls']:.0f}",
        "",
        f"for {results['count']} invoices",
    )
    table.add(
        "  matched by a verified webhook",
        f"{results['hooks']:.0f}",
        "",
        f"bad signatures: {results['refused']}",
    )
    return [table]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 invoices a run")
    args = parser.parse_args(argv)
    for table in report(measure(args.quick)):
        say(table.render())


if __name__ == "__main__":
    main()
