"""`python -m bench.chaos`: N invoices through the whole gateway while things break.

Its own PostgreSQL cluster and Redis (the only servers it stops), the simulator, two API
processes and four workers; a Standard Webhooks receiver registered as an endpoint. While
the invoices flow it SIGKILLs workers (and starts them again), stops Redis, restarts
PostgreSQL and has the simulator fail calls, some after it processed them. Then it checks
what must hold whatever broke, prints the table, and exits 1 on any failed check.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.chorus import ChorusClient
from app.config import Settings
from app.invoices.lifecycle import FluxOutcome, flux_outcome
from bench.chaos.receiver import Receiver
from bench.chaos.servers import Postgres, Redis, free_port

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "invoice.json").read_text()
)

PAY, REJECT, SUSPEND, MANDATEE = (
    "21330063500025",
    "21750001600019",
    "21690123100011",
    "21310555400017",
)
SCENARIOS: list[tuple[str, str, str, str]] = [
    # name, recipient SIRET, number prefix, final status it leads to
    ("pays", PAY, "CH", "paid"),
    ("rejects", REJECT, "CH", "rejected"),
    ("suspends", SUSPEND, "CH", "action_required"),
    ("approved only", MANDATEE, "CH", "approved"),
    ("5xx once", PAY, "X500", "paid"),
    ("429 once", PAY, "X429", "paid"),
    ("answer lost", PAY, "XLOST", "paid"),
    ("slow answer", PAY, "XSLOW", "paid"),
    ("flux rejected", PAY, "XREJ", "rejected"),
]
FAST_ENV = {
    "SIMULATOR_STEP_SECONDS": "0.5",
    "SIMULATOR_SLOW_SECONDS": "3",
    "GATEWAY_RELAY_INTERVAL": "1",
    "GATEWAY_FLUX_POLL_INTERVAL": "1",
    "GATEWAY_STATUS_SYNC_INTERVAL": "2",
    "GATEWAY_SUBMIT_LEASE": "10",
    "GATEWAY_DEPOSIT_LOOKUP_GRACE": "8",
    "GATEWAY_DEPOSIT_LOOKUP_INTERVAL": "2",
    "GATEWAY_RETRY_BASE": "1",
    "GATEWAY_RETRY_MAX": "10",
    "GATEWAY_MAX_SUBMIT_ATTEMPTS": "50",
    "GATEWAY_SUBMIT_SWEEP_AFTER": "3",
    "GATEWAY_CHORUS_TIMEOUT": "2",
    "GATEWAY_WORKER_MAX_JOBS": "20",
    "GATEWAY_WORKER_DATABASE_POOL_SIZE": "10",
    "GATEWAY_API_DATABASE_POOL_SIZE": "10",
    "GATEWAY_API_KEY_RATE_LIMIT": "100000/minute",
    "GATEWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "GATEWAY_LOG_LEVEL": "INFO",
}


@dataclass
class Plan:
    invoices: int
    seed: int
    kills: int
    redis_down: float
    postgres_down: float
    fault_rate: float  # share of Chorus calls that meet a fault
    post_seconds: float  # invoices are posted over this long, while the faults run
    settle_timeout: float

    @classmethod
    def of(cls, args: argparse.Namespace) -> Plan:
        short = args.short
        invoices = args.invoices or (200 if short else 1000)
        return cls(
            invoices=invoices,
            seed=args.seed,
            kills=args.kills if args.kills is not None else (6 if short else 12),
            redis_down=args.redis_down if args.redis_down is not None else (15 if short else 30),
            postgres_down=args.postgres_down,
            fault_rate=args.fault_rate,
            post_seconds=args.post_seconds or (60 if short else 180),
            settle_timeout=args.settle_timeout or (150 if short else 420),
        )


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.popen = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Tally:
    """What the run injected and what the API answered, shared by the threads."""

    injected: Counter[str] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.injected[what] += n

    def answered(self, status: int) -> None:
        with self.lock:
            self.answers[status] += 1


def say(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Run:
    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self.random = random.Random(plan.seed)
        self.postgres = Postgres(workdir / "postgres", free_port())
        self.redis = Redis(workdir / "redis", free_port())
        self.receiver = Receiver()
        self.tally = Tally()
        self.processes: dict[str, Process] = {}
        self.api_urls: list[str] = []
        self.simulator_url = ""
        self.headers: dict[str, str] = {}
        self.expected: dict[str, str] = {}  # invoice number -> final status
        self.scenario_of: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # invoice number -> gateway id
        self.stop_readers = threading.Event()

    # Set-up -----------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **FAST_ENV,
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "GATEWAY_CHORUS_API_URL": self.simulator_url,
            "GATEWAY_PISTE_TOKEN_URL": f"{self.simulator_url}/api/oauth/token",
            "SIMULATOR_PORT": self.simulator_url.rsplit(":", 1)[1],
            "SIMULATOR_FAULT_SEED": str(self.plan.seed),
        }

    def start(self) -> None:
        say(f"servers in {self.workdir}")
        self.postgres.init()
        self.postgres.start()
        self.redis.start()
        self.simulator_url = f"http://127.0.0.1:{free_port()}"
        env = self.env()
        cli = [sys.executable, "-m", "app.cli"]
        subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
        logs = self.workdir / "logs"
        logs.mkdir()
        self.processes["simulator"] = Process("simulator", [*cli, "simulator"], env, logs / "sim")
        for i in (1, 2):
            port = free_port()
            self.api_urls.append(f"http://127.0.0.1:{port}")
            command = [*cli, "api", "--port", str(port)]
            self.processes[f"api{i}"] = Process(f"api{i}", command, env, logs / f"api{i}.log")
        for i in (1, 2, 3, 4):
            name = f"worker{i}"
            self.processes[name] = Process(name, [*cli, "worker"], env, logs / f"{name}.log")
        for process in self.processes.values():
            process.start()
        self._wait_http(f"{self.simulator_url}/_simulator/clock")
        for url in self.api_urls:
            self._wait_http(f"{url}/healthz")
        key = subprocess.run(
            [*cli, "keys", "create", "--name", "chaos", "--scope", "admin"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        self.headers = {"Authorization": f"Bearer {key}"}
        created = httpx.post(
            f"{self.api_urls[0]}/v1/webhook-endpoints",
            json={"url": self.receiver.url},
            headers=self.headers,
            timeout=10,
        )
        created.raise_for_status()
        self.receiver.secret = created.json()["secret"]
        say("stack up: simulator, 2 API, 4 workers, webhook receiver")

    def _wait_http(self, url: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer")

    # Load -------------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        try:
            response = httpx.request(method, url, headers=self.headers, timeout=15, **kwargs)
        except httpx.HTTPError:
            with self.tally.lock:
                self.tally.transport_errors += 1
            return None
        self.tally.answered(response.status_code)
        return response

    def post(self, index: int) -> None:
        name, recipient, prefix, final = SCENARIOS[index % len(SCENARIOS)]
        number = f"{prefix}-{self.plan.seed}-{index:05d}"
        body = copy.deepcopy(EXAMPLE)
        body["number"] = number
        body["recipient"]["siret"] = recipient
        self.expected[number] = final
        self.scenario_of[number] = name
        api = self.api_urls[index % len(self.api_urls)]
        headers = {"Idempotency-Key": f"chaos-{number}"}
        while True:  # an outage answers 503 + Retry-After: the ERP posts again, same key
            try:
                response = httpx.post(
                    f"{api}/v1/invoices", json=body, headers={**self.headers, **headers}, timeout=15
                )
            except httpx.HTTPError:
                with self.tally.lock:
                    self.tally.transport_errors += 1
                time.sleep(1)
                continue
            self.tally.answered(response.status_code)
            if response.status_code in (200, 201, 202):
                self.ids[number] = response.json()["id"]
                return
            if response.status_code in (429, 503):
                time.sleep(float(response.headers.get("retry-after") or 1))
                continue
            raise RuntimeError(f"POST {number}: {response.status_code} {response.text[:300]}")

    def post_all(self) -> None:
        pause = self.plan.post_seconds / self.plan.invoices
        with ThreadPoolExecutor(8) as pool:
            futures = []
            for index in range(self.plan.invoices):
                futures.append(pool.submit(self.post, index))
                time.sleep(pause)
                if index and index % 100 == 0:
                    say(f"posted {index}/{self.plan.invoices}")
            for future in futures:
                future.result()
        say(f"posted {self.plan.invoices}/{self.plan.invoices}")

    def read_statuses(self) -> None:
        """An ERP reading statuses all along: no read may answer 500, outage or not."""
        while not self.stop_readers.is_set():
            ids = list(self.ids.values())
            if ids:
                api = self.random.choice(self.api_urls)
                self._call("GET", f"{api}/v1/invoices/{self.random.choice(ids)}/status")
            time.sleep(0.1)

    # Faults -----------------------------------------------------------------------------

    def simulator_faults(self, on: bool) -> None:
        admin = httpx.Client(base_url=self.simulator_url, timeout=10)
        admin.delete("/_simulator/faults")
        if not on:
            return
        share = self.plan.fault_rate / 4
        # Drawn one after the other: each takes `share` of the calls the earlier ones left.
        kinds: list[tuple[str, dict[str, Any]]] = [
            ("5xx after processing", {"status": 503, "after": True}),
            ("429 before processing", {"status": 429, "retry_after": 1}),
            ("timeout after processing", {"delay_seconds": 3.0, "after": True}),
            ("connection dropped after processing", {"drop": True, "after": True}),
        ]
        for what, spec in kinds:
            body = {"operation": "*", "count": None, "probability": share, **spec}
            admin.post("/_simulator/faults", json=body).raise_for_status()
            self.tally.inject(f"simulator: {what} (p={share:.3f} per call)", 0)

    def kill_worker(self) -> None:
        name = self.random.choice([n for n in self.processes if n.startswith("worker")])
        self.processes[name].kill()
        self.tally.inject("worker SIGKILLed (started again)")
        say(f"SIGKILL {name}")
        time.sleep(1)
        self.processes[name].start()

    def redis_outage(self) -> None:
        say(f"Redis stopped for {self.plan.redis_down:.0f} s")
        self.redis.stop()
        self.tally.inject(f"Redis stopped {self.plan.redis_down:.0f} s")
        time.sleep(self.plan.redis_down)
        self.redis.start()
        say("Redis back")

    def postgres_restart(self) -> None:
        say(f"PostgreSQL stopped for {self.plan.postgres_down:.0f} s")
        self.postgres.stop("immediate")
        self.tally.inject(f"PostgreSQL restarted ({self.plan.postgres_down:.0f} s down)")
        time.sleep(self.plan.postgres_down)
        self.postgres.start()
        say("PostgreSQL back")

    def chaos(self) -> None:
        """The schedule: kills spread over the posting window, one Redis and one PG outage."""
        window = self.plan.post_seconds
        events: list[tuple[float, Callable[[], None]]] = [
            (window * (i + 0.5) / self.plan.kills, self.kill_worker) for i in range(self.plan.kills)
        ]
        events.append((window * 0.2, self.redis_outage))
        events.append((window * 0.7, self.postgres_restart))
        started = time.monotonic()
        threads = []
        for at, action in sorted(events, key=lambda e: e[0]):
            time.sleep(max(0.0, started + at - time.monotonic()))
            thread = threading.Thread(target=action)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()

    # Checks -----------------------------------------------------------------------------

    async def _query(self, sql: str) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(
            host="127.0.0.1", port=self.postgres.port, user="postgres", database="postgres"
        )
        try:
            return list(await connection.fetch(sql))
        finally:
            await connection.close()

    def query(self, sql: str) -> list[asyncpg.Record]:
        return asyncio.run(self._query(sql))

    def statuses(self) -> dict[str, str]:
        return {r["number"]: r["status"] for r in self.query("SELECT number, status FROM invoices")}

    def settle(self) -> None:
        deadline = time.monotonic() + self.plan.settle_timeout
        while time.monotonic() < deadline:
            try:
                current = self.statuses()
                pending = self.query(
                    "SELECT (SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL) "
                    "+ (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS n"
                )[0]["n"]
            except (OSError, asyncpg.PostgresError):
                time.sleep(2)
                continue
            done = sum(1 for n, s in self.expected.items() if current.get(n) == s)
            say(
                f"{done}/{len(self.expected)} at their final status; {pending} outbox/webhooks left"
            )
            if done == len(self.expected) and pending == 0:
                time.sleep(3)  # the last webhooks' answers
                return
            time.sleep(5)

    def flux_reports(self, flux_numbers: list[str]) -> dict[str, tuple[bool, list[str]]]:
        """Chorus Pro's own word on each flux (consulterCRDetaille, faults off by now):
        flux number -> (rejected, the reasons given for it). A flux still pending counts as
        not rejected: nothing proves yet that it created no invoice."""

        async def ask() -> dict[str, tuple[bool, list[str]]]:
            settings = Settings(
                chorus_api_url=self.simulator_url,
                piste_token_url=f"{self.simulator_url}/api/oauth/token",
            )
            reports: dict[str, tuple[bool, list[str]]] = {}
            async with httpx.AsyncClient(timeout=30) as http:
                chorus = ChorusClient(http, settings.chorus_config())
                for flux_number in flux_numbers:
                    report = await chorus.get_flux_report(flux_number)
                    state = report.etat_courant_depot_flux or ""
                    reasons = [e.libelle_erreur_dp or "" for e in report.liste_erreur_dp]
                    reasons += [t.libelle_erreur or "" for t in report.liste_erreur_technique]
                    outcome = flux_outcome(state)
                    rejected = outcome is FluxOutcome.REJECTED or (
                        outcome is FluxOutcome.INTEGRATED and bool(reasons)
                    )
                    reports[flux_number] = (rejected, [f"{state}: {r}" for r in reasons])
            return reports

        return asyncio.run(ask())

    def deposit_check(self, deposits: list[dict[str, Any]]) -> tuple[str, bool, str]:
        """Exactly one deposit per invoice Chorus Pro integrated: no duplicate at the buyer.

        A flux Chorus Pro rejects creates no invoice, and Chorus Pro has no operation that
        finds a supplier's fluxes without their numeroFluxDepot (API.md §3), so after a lost
        answer no client can learn that such a flux arrived: it is deposited again and
        rejected again, which reaches no buyer. Those extra fluxes are counted and listed
        with Chorus's reason, not failed. Any other second deposit fails.
        """
        fluxes: dict[str, list[str]] = {}
        for deposit in deposits:
            fluxes.setdefault(deposit["numeroFacture"], []).append(deposit["numeroFluxDepot"])
        missing = [n for n in self.expected if n not in fluxes]
        repeated = {n: f for n, f in fluxes.items() if len(f) > 1}
        reports = self.flux_reports([f for numbers in repeated.values() for f in numbers])
        twice: list[str] = []  # deposited again, and not every flux of it was rejected
        rejected_again: dict[str, list[str]] = {}  # every flux of it rejected: no invoice made
        for number, numbers in repeated.items():
            if not all(reports[f][0] for f in numbers):
                twice.append(number)
            else:
                rejected_again[number] = sorted({r for f in numbers for r in reports[f][1]})
        extra = sum(len(fluxes[n]) - 1 for n in rejected_again)
        detail = (
            f"{len(deposits)} deposits for {len(self.expected)} invoices; "
            f"deposited again although not rejected: {len(twice)} {twice[:3]}; "
            f"never deposited: {len(missing)} {missing[:3]}; "
            f"{extra} extra rejected fluxes for {len(rejected_again)} flux-rejected invoices "
            "(expected: no look-up can find a rejected flux; no invoice reaches the buyer)"
        )
        for number, reasons in sorted(rejected_again.items()):
            detail += f"\n      {number}: {len(fluxes[number])} fluxes, {'; '.join(reasons)}"
        return (
            "exactly one deposit per invoice Chorus Pro integrated",
            not twice and not missing,
            detail,
        )

    def checks(self) -> list[tuple[str, bool, str]]:
        results: list[tuple[str, bool, str]] = []
        current = self.statuses()
        wrong = {n: current.get(n) for n, s in self.expected.items() if current.get(n) != s}
        by_scenario: Counter[str] = Counter(self.scenario_of[n] for n in wrong)
        detail = f"{len(self.expected) - len(wrong)}/{len(self.expected)}"
        if wrong:
            sample = list(wrong.items())[:5]
            detail += f"; wrong by scenario {dict(by_scenario)}; e.g. {sample}"
        results.append(("every invoice at its scenario's final status", not wrong, detail))

        stats = httpx.get(f"{self.simulator_url}/_simulator/stats", timeout=30).json()
        results.append(self.deposit_check(stats["deposits"]))

        messages = {r["id"] for r in self.query("SELECT id FROM webhook_messages")}
        undelivered = messages - self.receiver.verified
        results.append(
            (
                "every webhook event delivered and verified",
                bool(messages) and not undelivered and self.receiver.unverified == 0,
                f"{len(messages)} events, {len(messages) - len(undelivered)} verified at the "
                f"receiver ({self.receiver.requests} requests, {self.receiver.unverified} "
                f"unverified)",
            )
        )

        errors = sum(c for s, c in self.tally.answers.items() if s >= 500 and s != 503)
        answers = ", ".join(f"{s}: {c}" for s, c in sorted(self.tally.answers.items()))
        results.append(("the API never answered 500", errors == 0, answers))
        results.append(
            (
                "outages answered 503 with Retry-After, not 500",
                self.tally.answers.get(503, 0) > 0 and errors == 0,
                f"{self.tally.answers.get(503, 0)} answers 503",
            )
        )

        left = self.query(
            "SELECT (SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL) AS outbox, "
            "(SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS deliveries, "
            "(SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded') AS not_ok, "
            "(SELECT count(*) FROM invoices WHERE lease_expires_at IS NOT NULL) AS leased"
        )[0]
        drained = left["outbox"] == 0 and left["deliveries"] == 0 and left["not_ok"] == 0
        results.append(
            (
                "the outbox drains (no undispatched row, no pending delivery)",
                drained,
                f"outbox {left['outbox']}, pending deliveries {left['deliveries']}, "
                f"not succeeded {left['not_ok']}, invoices still leased {left['leased']}",
            )
        )

        dead = [n for n, p in self.processes.items() if not p.alive()]
        results.append(
            (
                "every process survived the outages by itself",
                not dead,
                f"down at the end: {dead or 'none'}",
            )
        )
        blamed = self.query(
            "SELECT count(*) AS n FROM submission_attempts "
            "WHERE error LIKE 'no answer was recorded%'"
        )[0]["n"]
        results.append(
            (
                "history says what happened (unrecorded answers only after kills)",
                blamed <= self.tally.injected["worker SIGKILLed (started again)"] * 20,
                f"{blamed} attempts without a recorded answer "
                f"(at most 20 per kill: the jobs a worker runs at once)",
            )
        )
        return results

    def stop(self) -> None:
        self.stop_readers.set()
        for process in reversed(list(self.processes.values())):
            process.stop()
        self.redis.stop()
        self.postgres.stop()


def table(rows: list[tuple[str, str]], title: str) -> str:
    width = max(len(a) for a, _ in rows)
    lines = [title, "-" * len(title)]
    lines += [f"  {a:<{width}}  {b}" for a, b in rows]
    return "\n".join(lines)


def report(run: Run, results: list[tuple[str, bool, str]], seconds: float) -> dict[str, Any]:
    injected = [(what, str(n) if n else "on") for what, n in run.tally.injected.items()]
    sim = httpx.get(f"{run.simulator_url}/_simulator/stats", timeout=30).json()
    injected.append(("Chorus calls seen by the simulator", str(sum(sim["calls"].values()))))
    print()
    print(table(injected, f"Injected ({run.plan.invoices} invoices, seed {run.plan.seed})"))
    print()
    print(table([(n, f"{'PASS' if ok else 'FAIL'}  {d}") for n, ok, d in results], "Checked"))
    print(f"\n{sum(ok for _, ok, _ in results)}/{len(results)} checks passed in {seconds:.0f} s")
    return {
        "invoices": run.plan.invoices,
        "seed": run.plan.seed,
        "seconds": round(seconds, 1),
        "injected": dict(run.tally.injected),
        "checks": [{"check": n, "passed": ok, "detail": d} for n, ok, d in results],
        "passed": all(ok for _, ok, _ in results),
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--invoices", type=int, default=0, help="default 1000 (200 --short)")
    parser.add_argument("--short", action="store_true", help="the suite's form: fewer, shorter")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", type=Path, help="write the result there too")
    parser.add_argument("--kills", type=int, help="worker SIGKILLs (default 12, 6 --short)")
    parser.add_argument("--redis-down", type=float, help="seconds (default 30, 15 --short)")
    parser.add_argument("--postgres-down", type=float, default=5.0, help="seconds")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of Chorus calls")
    parser.add_argument("--post-seconds", type=float, help="how long posting lasts")
    parser.add_argument("--settle-timeout", type=float, help="seconds to wait for the end")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan = Plan.of(args)
    workdir = Path(tempfile.mkdtemp(prefix="chorus-chaos-"))
    workdir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    run = Run(plan, workdir)
    started = time.monotonic()
    with run.receiver:
        try:
            run.start()
            run.simulator_faults(on=True)
            reader = threading.Thread(target=run.read_statuses, daemon=True)
            reader.start()
            chaos = threading.Thread(target=run.chaos)
            chaos.start()
            run.post_all()
            chaos.join()
            say("faults over: waiting for every invoice to settle")
            run.simulator_faults(on=False)
            run.settle()
            run.stop_readers.set()
            results = run.checks()
            outcome = report(run, results, time.monotonic() - started)
        finally:
            run.stop()
            if not args.keep and all(not p.alive() for p in run.processes.values()):
                subprocess.run(["rm", "-rf", str(workdir)], check=False)
            else:
                say(f"logs kept in {workdir}")
    if args.json is not None:
        args.json.write_text(json.dumps(outcome, indent=2))
    return 0 if outcome["passed"] else 1
