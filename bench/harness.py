"""What every benchmark shares: its own database and Redis db, real processes, `wrk`, medians.

A benchmark here is never a timed test: it starts its own servers (gateway processes, the
simulator, the raw baseline) in the same run, measures both sides with the same load
generator and prints ratios, because the machine is shared and noisy.

Environment:
    BENCH_DATABASE_URL  a PostgreSQL server (any database on it); default: TEST_DATABASE_URL,
                        else postgresql://postgres@127.0.0.1:5432/postgres. Each bench
                        creates `bench_<name>` there and drops it at the end.
    BENCH_REDIS_URL     the Redis db the benches may flush (default redis://127.0.0.1:6379/13);
                        no other db is touched.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
RUNS = 3  # every figure is the median of this many runs
CLK_TCK = os.sysconf("SC_CLK_TCK")


def server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    url = url or DEFAULT_SERVER
    return url.replace("postgresql+asyncpg://", "postgresql://")


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def run_async(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


@dataclass
class Database:
    """`bench_<name>` on the shared server: created empty, migrated, dropped at the end."""

    name: str
    url: str  # postgresql://… (asyncpg); the gateway's settings add the driver themselves

    async def execute(self, sql: str, *args: Any) -> str:
        connection = await asyncpg.connect(self.url)
        try:
            return str(await connection.execute(sql, *args))
        finally:
            await connection.close()

    async def fetchval(self, sql: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.url)
        try:
            return await connection.fetchval(sql, *args)
        finally:
            await connection.close()

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.url)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(server_url())
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def bench_database(name: str) -> Iterator[Database]:
    from app.migrate import upgrade

    database = f"bench_{name}"
    run_async(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    run_async(_admin(f'CREATE DATABASE "{database}"'))
    url = _with_database(server_url(), database)
    try:
        upgrade(url.replace("postgresql://", "postgresql+asyncpg://"))
        yield Database(database, url)
    finally:
        run_async(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@contextmanager
def bench_redis() -> Iterator[str]:
    """The benches' own Redis db, emptied before and after (never another db)."""
    url = redis_url()
    client = Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A server process of the bench, with its log, its peak RSS and its CPU time."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def peak_rss_mb(self) -> float:
        """VmHWM: the most resident memory the process ever had."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_http(url: str, process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} does not answer at {url}:\n{process.log_tail()}")


class Servers:
    """Every process a bench started, stopped in reverse order however the bench ends."""

    def __init__(self, name: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"chorus-bench-{name}-"))
        self.processes: list[Process] = []

    def start(self, name: str, command: Sequence[str], env: dict[str, str]) -> Process:
        process = Process(name, list(command), env, self.dir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


@contextmanager
def servers(name: str) -> Iterator[Servers]:
    started = Servers(name)
    try:
        yield started
    finally:
        started.stop_all()


def gateway_env(database: Database, redis: str, **extra: str) -> dict[str, str]:
    """The gateway's settings for a bench: no rate limit in the way, quiet logs."""
    return {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": redis,
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_API_KEY_RATE_LIMIT": "100000000/minute",
        "GATEWAY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        **extra,
    }


CLI = [sys.executable, "-m", "app.cli"]


def start_gateway_api(
    started: Servers, env: dict[str, str], *, name: str = "api"
) -> tuple[Process, str]:
    port = free_port()
    process = started.start(name, [*CLI, "api", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", process)
    return process, url


def create_api_key(env: dict[str, str]) -> str:
    command = [*CLI, "keys", "create", "--name", "bench", "--scope", "admin"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"keys create failed: {done.stderr}")
    return done.stdout.strip()


def start_raw(started: Servers, database: Database) -> tuple[Process, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.raw:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    env = {**os.environ, "BENCH_RAW_DATABASE_URL": database.url, "PYTHONPATH": str(ROOT)}
    process = started.start("raw", command, env)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", process)
    return process, url


# Load generation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What one wrk run measured (latencies in milliseconds)."""

    requests: int
    seconds: float
    errors: int
    bad_status: int
    p50: float
    p99: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nRESULT {"requests":%d,"duration_us":%d,"errors":%d,"bad_status":%d,' ..
    '"p50_us":%.1f,"p99_us":%.1f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(request_lua: str) -> str:
    """A wrk script: `request_lua` defines `request()` (and may use `thread_id`)."""
    return (
        textwrap.dedent(
            """
        local counter = 0
        local threads = 0
        thread_id = 0
        function setup(thread)
          thread:set("thread_id", threads)
          threads = threads + 1
        end
        """
        )
        + request_lua
        + _DONE
    )


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def run_wrk(url: str, script: str, *, connections: int, seconds: float, threads: int = 2) -> Load:
    if not _has_wrk():
        raise SystemExit("the benches need wrk: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    threads = max(1, min(threads, connections))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        handle.name,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    Path(handle.name).unlink()
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("RESULT "))
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        bad_status=data["bad_status"],
        p50=data["p50_us"] / 1000,
        p99=data["p99_us"] / 1000,
    )


def _has_wrk() -> bool:
    from shutil import which

    return which("wrk") is not None


# Invoices ---------------------------------------------------------------------------------

SUPPLIER = "81234567600017"
RECIPIENT = "21330063500025"  # the simulator's recipient that pays


def invoice_body(lines: int = 10, number: str = "@@NUM@@") -> dict[str, Any]:
    """The example invoice with `lines` lines (totals left for the gateway to compute)."""
    body: dict[str, Any] = json.loads((ROOT / "examples" / "invoice.json").read_text())
    body.pop("totals", None)
    body["number"] = number
    body["lines"] = [
        {
            "id": str(i),
            "name": f"Prestation {i}",
            "quantity": str(i % 9 + 1),
            "unit_code": "C62",
            "unit_price": f"{i % 50 + 1}.50",
            "vat_category": "S",
            "vat_rate": "20",
        }
        for i in range(1, lines + 1)
    ]
    return body


def post_invoices_lua(path: str, key: str, tag: str) -> str:
    """wrk `request()` posting a new invoice each time (number and Idempotency-Key unique)."""
    body = json.dumps(invoice_body())
    return textwrap.dedent(
        f"""
        local body = {lua_string(body)}
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer {key}"
        request = function()
          counter = counter + 1
          local number = string.format("{tag}%d-%d", thread_id, counter)
          wrk.headers["Idempotency-Key"] = number
          return wrk.format("POST", "{path}", nil, (body:gsub("@@NUM@@", number)))
        end
        """
    )


def get_paths_lua(paths: Sequence[str], key: str | None) -> str:
    """wrk `request()` cycling through `paths` with GET."""
    items = ",".join(lua_string(p) for p in paths)
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"' if key else ""
    return textwrap.dedent(
        f"""
        local paths = {{{items}}}
        {auth}
        request = function()
          counter = counter + 1
          return wrk.format("GET", paths[(counter + thread_id * 7919) % #paths + 1])
        end
        """
    )


# Figures ----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass
class Table:
    """Rows of a result table, printed aligned and kept for `--json`."""

    title: str
    columns: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([_cell(c) for c in cells])

    def render(self) -> str:
        widths = [
            max(len(str(self.columns[i])), *(len(r[i]) for r in self.rows))
            for i in range(len(self.columns))
        ]
        lines = [f"\n## {self.title}"]
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(self.columns, widths, strict=True)))
        for row in self.rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def say(text: str) -> None:
    print(text, flush=True)


def repeat(runs: int, measure: Callable[[int], Any]) -> list[Any]:
    return [measure(i) for i in range(runs)]


class Sampler:
    """py-spy sampling a running process (`with Sampler(pid, seconds) as sampler:` around a
    load), then the share of busy samples per package of the innermost frame."""

    def __init__(self, pid: int, seconds: float, out: Path) -> None:
        self.out = out
        self.command = ["py-spy", "record", "--format", "raw", "--nonblocking", "-r", "250"]
        self.command += ["-d", str(max(1, round(seconds))), "-p", str(pid), "-o", str(out)]
        self.popen: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sampler:
        from shutil import which

        if which("py-spy") or (Path(sys.executable).parent / "py-spy").exists():
            binary = which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            self.popen = subprocess.Popen(
                [binary, *self.command[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        return self

    def __exit__(self, *_: object) -> None:
        if self.popen is not None:
            self.popen.wait(60)

    def shares(self, top: int = 9) -> list[tuple[str, float]]:
        if not self.out.exists():
            return []
        totals: dict[str, int] = {}
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            part = _leaf_package(stack.split(";"))
            totals[part] = totals.get(part, 0) + int(count)
        busy = sum(totals.values()) or 1
        ranked = sorted(totals.items(), key=lambda item: -item[1])
        shown = [(name, 100 * n / busy) for name, n in ranked[:top]]
        rest = sum(n for _, n in ranked[top:])
        return [*shown, ("other", 100 * rest / busy)] if rest else shown


def _leaf_package(frames: list[str]) -> str:
    """The package of the innermost frame; python stdlib frames count for their caller's
    package, except the event loop's own work."""
    for depth, frame in enumerate(reversed(frames)):
        filename = frame.rpartition(" (")[2].rstrip(")").rsplit(":", 1)[0]
        top = filename.split("/", 1)[0].removesuffix(".py")
        if top == "app":
            parts = filename.split("/")
            return f"app/{parts[1].removesuffix('.py')} (ours)" if len(parts) > 2 else "app"
        if top == "asyncio" and depth == 0:
            return "asyncio (event loop)"
        if top in sys.stdlib_module_names or top.startswith("<"):
            continue
        return top
    return "python stdlib"


def start_simulator(started: Servers, **settings: str) -> tuple[Process, str]:
    """The bundled Chorus Pro simulator, its own process (SIMULATOR_* settings)."""
    port = free_port()
    env = {**os.environ, "SIMULATOR_PORT": str(port), "GATEWAY_LOG_LEVEL": "WARNING"}
    env.update({f"SIMULATOR_{k.upper()}": v for k, v in settings.items()})
    process = started.start("simulator", [*CLI, "simulator"], env)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/_simulator/clock", process)
    return process, url


def chorus_env(simulator_url: str) -> dict[str, str]:
    """The gateway's settings that point it at a simulator."""
    return {
        "GATEWAY_CHORUS_API_URL": simulator_url,
        "GATEWAY_PISTE_TOKEN_URL": f"{simulator_url}/api/oauth/token",
    }


def delay_deposits(simulator_url: str, seconds: float) -> None:
    """Every deposit answered after `seconds` (a fault without status: only the delay)."""
    fault = {"operation": "deposerFluxFacture", "count": None, "delay_seconds": seconds}
    httpx.post(f"{simulator_url}/_simulator/faults", json=fault, timeout=10).raise_for_status()


def post_many(api_url: str, key: str, tag: str, count: int, connections: int = 32) -> None:
    """`count` new invoices through the API, numbers `{tag}{i}`, as fast as it takes them."""
    import asyncio

    async def post_all() -> None:
        limits = httpx.Limits(max_connections=connections)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=api_url, limits=limits, headers=headers) as client:
            numbers = iter(range(count))

            async def lane() -> None:
                for i in numbers:
                    number = f"{tag}{i}"
                    answer = await client.post(
                        "/v1/invoices",
                        json=invoice_body(number=number),
                        headers={"Idempotency-Key": number},
                        timeout=30,
                    )
                    if answer.status_code != 202:
                        raise RuntimeError(f"POST {number}: {answer.status_code} {answer.text}")

            await asyncio.gather(*(lane() for _ in range(connections)))

    asyncio.run(post_all())
