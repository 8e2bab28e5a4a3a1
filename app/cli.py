"""`chorus-gateway`: run the whole gateway, or one of its processes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.config import get_settings
from app.kit.logging import configure_logging


def _api(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "app.main:create_app_from_env",
        factory=True,
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        log_config=None,
        proxy_headers=True,
    )


def _worker(_: argparse.Namespace) -> None:
    from app.worker.main import run

    run()


def _migrate(_: argparse.Namespace) -> None:
    from app.migrate import upgrade

    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.database_url is None:
        sys.exit("DATABASE_URL is not set")
    upgrade(settings.database_url)


def _simulator(args: argparse.Namespace) -> None:
    from app.simulator import SimulatorSettings, run

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    configure_logging(get_settings().log_level)
    run(SimulatorSettings(**overrides))


def _run(_: argparse.Namespace) -> None:
    from app.runner import run_all

    sys.exit(run_all(get_settings()))


def _openapi(args: argparse.Namespace) -> None:
    from app.main import create_app

    spec = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(spec)
    else:
        Path(args.output).write_text(spec, encoding="utf-8")


def _webhook_schemas(args: argparse.Namespace) -> None:
    from app.webhooks.events import write_schemas

    for path in write_schemas(Path(args.output)):
        sys.stdout.write(f"{path}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="chorus-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="API + worker + simulator; embedded servers if needed")
    run.set_defaults(handler=_run)
    api = commands.add_parser("api", help="the HTTP API (uvicorn)")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.set_defaults(handler=_api)
    commands.add_parser("worker", help="the arq worker").set_defaults(handler=_worker)
    commands.add_parser("migrate", help="alembic upgrade head").set_defaults(handler=_migrate)
    simulator = commands.add_parser("simulator", help="the Chorus Pro + PISTE simulator")
    simulator.add_argument("--host")
    simulator.add_argument("--port", type=int)
    simulator.set_defaults(handler=_simulator)
    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi/openapi.json")
    openapi.set_defaults(handler=_openapi)
    schemas = commands.add_parser(
        "webhook-schemas", help="write the JSON Schema of every webhook event type"
    )
    schemas.add_argument("--output", default="openapi/webhooks")
    schemas.set_defaults(handler=_webhook_schemas)
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
