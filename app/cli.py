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
        server_header=False,
        access_log=False,  # no line per request on the hot path; errors still log
        limit_concurrency=2 * settings.api_limit_concurrency,  # the front door answers first
        backlog=settings.api_backlog,
        timeout_keep_alive=int(settings.api_keep_alive_timeout.total_seconds()),
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


def _keys(args: argparse.Namespace) -> None:
    from app import manage

    settings = get_settings()
    if args.action == "create":
        manage.create_key(settings, args.name, args.scope, args.supplier)
    elif args.action == "list":
        manage.list_keys(settings)
    else:
        manage.revoke_key(settings, args.key_id)


def _suppliers(args: argparse.Namespace) -> None:
    from app import manage

    settings = get_settings()
    if args.action == "add":
        manage.add_supplier(
            settings,
            args.siret,
            args.name,
            syntax=args.syntax,
            environment=args.environment,
            piste_client_id=args.piste_client_id,
            technical_login=args.technical_login,
        )
    elif args.action == "list":
        manage.list_suppliers(settings)
    elif args.action == "set-credentials":
        manage.set_credentials(settings, args.siret, args.piste_client_id, args.technical_login)
    else:
        manage.remove_supplier(settings, args.siret)


def _rotate_key(_: argparse.Namespace) -> None:
    from app import manage

    manage.rotate_key(get_settings())


def _add_key_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from app.access.principal import Scope

    keys = commands.add_parser("keys", help="API keys: create, list, revoke")
    keys.set_defaults(handler=_keys)
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key, printed once on stdout")
    create.add_argument("--name", required=True, help="who uses it (an ERP, a team)")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=[s.value for s in Scope],
        help="repeat for several scopes",
    )
    create.add_argument(
        "--supplier", action="append", help="a SIRET it acts for (repeat); none: all suppliers"
    )
    actions.add_parser("list", help="every key, without the keys themselves")
    revoke = actions.add_parser("revoke", help="refuse the key from now on")
    revoke.add_argument("key_id")


def _add_supplier_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    suppliers = commands.add_parser(
        "suppliers", help="suppliers: add, list, set-credentials, remove"
    )
    suppliers.set_defaults(handler=_suppliers)
    actions = suppliers.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="a supplier; its own credentials if --piste-client-id is given"
    )
    add.add_argument("siret")
    add.add_argument("--name", required=True)
    add.add_argument("--syntax", help="default syntax (IN_DP_E1_CII_16B, IN_DP_E1_UBL_INVOICE…)")
    add.add_argument("--environment", default="production", choices=["production", "qualification"])
    for parser in (
        add,
        credentials := actions.add_parser(
            "set-credentials",
            help="its own credentials (secrets read from the terminal or stdin); "
            "without options: the environment's",
        ),
    ):
        parser.add_argument("--piste-client-id")
        parser.add_argument("--technical-login")
    credentials.add_argument("siret")
    actions.add_parser("list", help="every supplier")
    remove = actions.add_parser("remove", help="a supplier with no invoice on its way")
    remove.add_argument("siret")


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
    _add_key_commands(commands)
    _add_supplier_commands(commands)
    commands.add_parser(
        "rotate-key", help="re-encrypt every stored secret with GATEWAY_SECRETS_KEY's first key"
    ).set_defaults(handler=_rotate_key)
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
