"""The ``orderhub`` command line: up, serve, worker, migrate, tenant create, key create, user create /
password / disable / enable, hs and tariff import."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import msgspec

from hub.core import database
from hub.core.bootstrap import Services, migrate, resolve_services
from hub.core.errors import AppError
from hub.core.settings import Settings, get_settings
from tenants import service as tenant_service
from tenants.roles import Role
from tenants.schemas import NewUser, TenantCreate
from tenants.users import user_id_for_email

_T = TypeVar("_T")

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.example"


def _add_user_commands(commands: Any) -> None:
    """``orderhub user create | password | disable | enable``."""
    user = commands.add_parser("user", help="console users").add_subparsers(dest="user_command", required=True)
    user_create = user.add_parser("create", help="create a console user (asks for the password unless --password-env)")
    user_create.add_argument("--tenant", required=True, help="tenant slug")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name", required=True, help="display name")
    user_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_create.add_argument(
        "--password-env", default=None, help="read the password from this environment variable (for scripts)"
    )
    user_create.add_argument("--json", action="store_true")
    user_password = user.add_parser(
        "password", help="set a user's password (asks unless --password-env); signs out all their console sessions"
    )
    user_password.add_argument("--tenant", required=True, help="tenant slug")
    user_password.add_argument("--email", required=True)
    user_password.add_argument("--password-env", default=None, help="read the password from this environment variable")
    user_password.add_argument("--json", action="store_true")
    toggles = (("disable", "sign a user out everywhere and stop their keys"), ("enable", "enable a user again"))
    for verb, text in toggles:
        toggle = user.add_parser(verb, help=text)
        toggle.add_argument("--tenant", required=True, help="tenant slug")
        toggle.add_argument("--email", required=True)
        toggle.add_argument("--json", action="store_true")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderhub", description="The order hub for cross-border sellers.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="database, migrations, Redis, API and worker on one machine")
    serve = commands.add_parser("serve", help="the API only")
    for sub in (up, serve):
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8000)
        sub.add_argument(
            "--workers", type=int, default=1, help="API processes sharing the port (one per core is typical)"
        )
    up.add_argument("--no-demo", action="store_true", help="do not seed the demo tenant")
    commands.add_parser("worker", help="the arq worker and the outbox relay")
    commands.add_parser("migrate", help="apply database migrations")

    tenant = commands.add_parser("tenant", help="tenants").add_subparsers(dest="tenant_command", required=True)
    create = tenant.add_parser("create", help="create a tenant and its first API key")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--base-currency", default="EUR")
    create.add_argument("--origin-country", default="CN")
    create.add_argument("--locale", default="en")
    create.add_argument("--timezone", default="UTC")
    create.add_argument("--role", default="owner", choices=[r.value for r in Role])
    create.add_argument("--owner-email", default=None, help="create the owner user too; the first key is then theirs")
    create.add_argument("--owner-name", default=None, help="the owner's display name (default: the e-mail)")
    create.add_argument(
        "--owner-password-env", default=None, help="the owner's console password from this environment variable"
    )
    create.add_argument("--json", action="store_true")

    _add_user_commands(commands)

    hs = commands.add_parser("hs", help="HS nomenclature").add_subparsers(dest="hs_command", required=True)
    hs_import = hs.add_parser("import", help="load a nomenclature file (replaces that nomenclature's rows)")
    hs_import.add_argument("file", help="the file to import")
    hs_import.add_argument("--format", required=True, choices=["wco-csv", "uk-json", "us-hts-json"])
    hs_import.add_argument("--nomenclature", default=None, help="name to store it under (default per format)")
    hs_import.add_argument("--json", action="store_true")

    tariff = commands.add_parser("tariff", help="official tariff schedules").add_subparsers(
        dest="tariff_command", required=True
    )
    tariff_import = tariff.add_parser(
        "import", help="load an official schedule file as reference data for every tenant (one transaction)"
    )
    tariff_import.add_argument("file", help="the file as published (CSV, JSON, JSON Lines or XLSX)")
    tariff_import.add_argument(
        "--source",
        required=True,
        choices=["uk-trade-tariff", "us-hts", "eu-taric", "uk-geographical-areas", "eu-geographical-areas"],
        help="a schedule's publisher, or the origin groups and their members that later schedule imports read: "
        "uk-geographical-areas (GET /api/v2/geographical_areas JSON), eu-geographical-areas (a TARIC3 XML "
        "extraction of the geographical areas and memberships)",
    )
    tariff_import.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="eu-geographical-areas: the day whose group memberships are loaded (YYYY-MM-DD; default today)",
    )
    tariff_import.add_argument("--json", action="store_true", help="print the whole per-row report as JSON")
    tariff_import.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    key = commands.add_parser("key", help="API keys").add_subparsers(dest="key_command", required=True)
    key_create = key.add_parser("create", help="create an API key for a tenant")
    key_create.add_argument("--tenant", required=True, help="tenant slug")
    key_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    key_create.add_argument("--name", default="cli key")
    key_create.add_argument(
        "--user",
        default=None,
        help="e-mail of the user the key acts for; without it, an integration key (never approves)",
    )
    key_create.add_argument("--json", action="store_true")
    return parser


def _print(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload))
    else:
        for name, value in payload.items():
            print(f"{name}: {value}")


async def _with_database(services: Services, work: Callable[[], Awaitable[_T]]) -> _T:
    """Run ``work()`` with the engine connected as the application role."""
    database.configure(services.app_database_url)
    await database.start_pool(size=2)
    try:
        return await work()
    finally:
        await database.close_pool()


async def _prepare(services: Services) -> None:
    await migrate(services.owner_database_url, quiet=True)


def _migrate_run_print(services: Services, work: Callable[[], Awaitable[dict[str, Any]]], *, as_json: bool) -> int:
    """An administrative command's whole run: migrate, run ``work()`` as the app role, print its answer."""

    async def run() -> dict[str, Any]:
        await _prepare(services)
        return await _with_database(services, work)

    _print(asyncio.run(run()), as_json)
    return 0


def _password(args: argparse.Namespace, prompt: str) -> str:
    """The password from the variable ``--password-env`` names, else asked for without echo."""
    import getpass  # noqa: PLC0415

    return os.environ.get(args.password_env, "") if args.password_env else getpass.getpass(prompt)


def _tenant_create(args: argparse.Namespace) -> int:
    services = resolve_services(get_settings(), need_redis=False)

    owner = None
    if args.owner_email:
        password = os.environ.get(args.owner_password_env, "") if args.owner_password_env else None
        owner = NewUser(email=args.owner_email, display_name=args.owner_name or args.owner_email, password=password)

    async def work() -> dict[str, Any]:
        tenant, key = await tenant_service.create_tenant(
            TenantCreate(
                slug=args.slug,
                name=args.name,
                base_currency=args.base_currency,
                origin_country=args.origin_country,
                default_locale=args.locale,
                timezone=args.timezone,
            ),
            owner_role=Role(args.role),
            owner=owner,
        )
        kind = "user" if owner is not None else "integration"
        return {"tenant_id": str(tenant.id), "api_key": key, "key_kind": kind}

    return _migrate_run_print(services, work, as_json=args.json)


def _key_create(args: argparse.Namespace) -> int:
    services = resolve_services(get_settings(), need_redis=False)

    async def work() -> dict[str, Any]:
        tenant_id = await tenant_service.tenant_id_for_slug(args.tenant)
        user_id = await user_id_for_email(tenant_id, args.user) if args.user else None
        created = await tenant_service.create_api_key(tenant_id, Role(args.role), args.name, user_id)
        return {
            "api_key": created.api_key,
            "key_id": str(created.id),
            "role": created.role.value,
            "kind": created.kind.value,
        }

    return _migrate_run_print(services, work, as_json=args.json)


def _user_create(args: argparse.Namespace) -> int:
    from tenants.users import create_user  # noqa: PLC0415

    password = _password(args, "Password (10 characters or more): ")
    services = resolve_services(get_settings(), need_redis=False)

    async def work() -> dict[str, Any]:
        tenant_id = await tenant_service.tenant_id_for_slug(args.tenant)
        user_id = await create_user(tenant_id, args.email, args.name, args.role, password)
        return {"user_id": str(user_id), "email": args.email.lower(), "role": args.role}

    return _migrate_run_print(services, work, as_json=args.json)


def _user_password(args: argparse.Namespace) -> int:
    from tenants.users import change_password  # noqa: PLC0415

    password = _password(args, "New password (10 characters or more): ")
    services = resolve_services(get_settings(), need_redis=False)

    async def work() -> dict[str, Any]:
        tenant_id = await tenant_service.tenant_id_for_slug(args.tenant)
        user_id = await user_id_for_email(tenant_id, args.email)
        revoked = await change_password(tenant_id, user_id, password)
        return {"user_id": str(user_id), "sessions_revoked": revoked}

    return _migrate_run_print(services, work, as_json=args.json)


def _user_toggle(args: argparse.Namespace) -> int:
    from tenants.users import set_disabled  # noqa: PLC0415

    services = resolve_services(get_settings(), need_redis=False)

    async def work() -> dict[str, Any]:
        tenant_id = await tenant_service.tenant_id_for_slug(args.tenant)
        user_id = await user_id_for_email(tenant_id, args.email)
        user = await set_disabled(None, tenant_id, user_id, disabled=args.user_command == "disable")
        return {"user_id": str(user.id), "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None}

    return _migrate_run_print(services, work, as_json=args.json)


def _user_command(args: argparse.Namespace) -> int:
    if args.user_command == "password":
        return _user_password(args)
    if args.user_command in {"disable", "enable"}:
        return _user_toggle(args)
    return _user_create(args)


HS_DEFAULT_NAMES = {"wco-csv": "HS2022", "uk-json": "UK", "us-hts-json": "US"}


def read_import_text(path: str | os.PathLike[str]) -> str:
    """A nomenclature file's text: UTF-8, with or without the byte order mark Windows tools write.

    Raises:
        ValueError: the file is not UTF-8 (said with the byte offset, not as a traceback).
    """
    from pathlib import Path  # noqa: PLC0415

    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start}): save the file as UTF-8") from None


def _hs_import(args: argparse.Namespace) -> int:
    from customs import hs_codes, nomenclature  # noqa: PLC0415

    try:
        text = read_import_text(args.file)
        if args.format == "wco-csv":
            rows = nomenclature.parse_wco_csv(text)
        elif args.format == "uk-json":
            rows = nomenclature.parse_uk_commodity(json.loads(text))
        else:
            rows = nomenclature.parse_us_hts(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        print(json.dumps({"error": f"{args.file}: {exc}"}), file=sys.stderr)
        return 2
    name = args.nomenclature or HS_DEFAULT_NAMES[args.format]
    services = resolve_services(get_settings(), need_redis=False)

    async def run() -> int:
        await _prepare(services)
        return await hs_codes.import_rows(services.owner_database_url, name, rows)

    _print({"nomenclature": name, "imported": asyncio.run(run())}, args.json)
    return 0


def _tariff_import(args: argparse.Namespace) -> int:
    """``orderhub tariff import FILE --source S``: parse, check, store, switch in; print the report."""
    from pathlib import Path  # noqa: PLC0415

    import asyncpg  # noqa: PLC0415
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    from customs.schedules import importer  # noqa: PLC0415
    from customs.schedules.model import ScheduleFileError  # noqa: PLC0415
    from customs.schedules.parsers._common import KnownGroups  # noqa: PLC0415
    from customs.schedules.parsers.areas import AREA_SOURCES  # noqa: PLC0415

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(json.dumps({"error": f"{args.file}: {exc.strerror or exc}"}), file=sys.stderr)
        return 2
    if args.source in AREA_SOURCES:
        return _origin_groups_import(args, data)
    services = resolve_services(get_settings(), need_redis=False)

    async def read_groups() -> KnownGroups | None:
        await _prepare(services)
        connection = await asyncpg.connect(services.owner_database_url)
        try:
            return await importer.origin_groups_for(connection, args.source)
        finally:
            await connection.close()

    groups = asyncio.run(read_groups()) if args.source in importer.GROUPS_OF else None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=args.no_progress) as bar:
        reading = bar.add_task(f"parse and check {Path(args.file).name}", total=None)
        refusal: dict[str, Any] | None = None
        try:
            prepared = importer.prepare(
                args.source,
                data,
                file_name=Path(args.file).name,
                progress=lambda n: bar.advance(reading, n),
                groups=groups,
            )
        except ScheduleFileError as exc:
            refusal = {
                "error": f"{args.file}: {exc}",
                "errors": [{"row": exc.row, "field": exc.field, "message": exc.message}],
            }
        if refusal is not None:
            bar.stop()
            # After the bar has drawn its last frame: the error is the last line on stderr.
            print(json.dumps(refusal), file=sys.stderr)
            return 2
        bar.update(reading, total=len(prepared.records), completed=len(prepared.records))
        storing = bar.add_task("store measures", total=len(prepared.records))

        async def run() -> importer.ImportReport:
            await _prepare(services)  # migrations are idempotent: a second run after read_groups is cheap
            return await importer.load_reference(
                services.owner_database_url,
                prepared,
                actor="cli",
                progress=lambda n: bar.advance(storing, n),
            )

        report = asyncio.run(run())
    if args.json:
        print(msgspec.json.encode(report).decode())
    else:
        summary = {
            "schedule_id": report.schedule_id,
            "source": report.source,
            "destination": report.destination,
            "revision": report.revision,
            "valid_from": report.valid_from,
            "rows_read": report.rows_read,
            "measures_loaded": report.measures_loaded,
            "codes": report.codes,
            "uncomputable": report.uncomputable_count,
            "skipped": report.skipped_count,
            "replaced_schedule_id": report.replaced_schedule_id,
        }
        _print(summary, False)
        for row in report.skipped[:20]:
            print(f"  skipped row {row.row} ({row.code or '-'}) {row.field}: {row.reason}")
        for item in report.uncomputable[:20]:
            print(f"  not computable row {item.row} ({item.code}) {item.expression!r}: {item.reason}")
    return 0


def _origin_groups_import(args: argparse.Namespace, data: bytes) -> int:
    """``orderhub tariff import FILE --source uk-|eu-geographical-areas``: replace the tariff's origin groups."""
    from pathlib import Path  # noqa: PLC0415

    from customs.schedules import importer  # noqa: PLC0415
    from customs.schedules.model import ScheduleFileError  # noqa: PLC0415

    name = Path(args.file).name
    try:
        parsed, sha256 = importer.prepare_groups(args.source, data, file_name=name, as_of=args.as_of)
    except ScheduleFileError as exc:
        refusal = {
            "error": f"{args.file}: {exc}",
            "errors": [{"row": exc.row, "field": exc.field, "message": exc.message}],
        }
        print(json.dumps(refusal), file=sys.stderr)
        return 2
    services = resolve_services(get_settings(), need_redis=False)

    async def run() -> importer.GroupsReport:
        await _prepare(services)
        return await importer.load_groups_reference(
            services.owner_database_url, parsed, file_name=name, file_sha256=sha256, actor="cli"
        )

    report = asyncio.run(run())
    if args.json:
        print(msgspec.json.encode(report).decode())
    else:
        summary = msgspec.to_builtins(report)
        summary["group_ids"] = " ".join(report.group_ids)
        _print(summary, False)
        tariff = "EU" if parsed.destination == "EU" else "UK"
        print(f"  {tariff} schedules imported before keep their origins: import them again to apply these groups")
    return 0


def _seed_demo(services: Services) -> dict[str, Any] | None:
    """Create the demo tenant on first run; None when it exists already."""

    async def work() -> dict[str, Any] | None:
        try:
            await tenant_service.tenant_id_for_slug(DEMO_SLUG)
        except AppError:
            # The demo key is its owner's, a person without a password until one is set
            # (``orderhub user password --tenant demo --email owner@demo.example``).
            tenant, key = await tenant_service.create_tenant(
                TenantCreate(slug=DEMO_SLUG, name="Demo Trading Co.", base_currency="EUR", origin_country="CN"),
                owner=NewUser(email=DEMO_OWNER_EMAIL, display_name="Demo Owner"),
            )
            return {"tenant_id": str(tenant.id), "api_key": key}
        return None

    result: dict[str, Any] | None = asyncio.run(_with_database(services, work))
    return result


# After SIGTERM, requests in flight get this long to finish (within a typical 30 s termination grace).
GRACEFUL_SHUTDOWN_SECONDS = 20


def _serve(services: Services, host: str, port: int, workers: int = 1, *, settings: Settings | None = None) -> None:
    import uvicorn  # noqa: PLC0415

    from hub.app import SERVICES_ENV, create_app  # noqa: PLC0415

    settings = settings or get_settings()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "log_level": settings.log_level.lower(),
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
    if workers <= 1:
        uvicorn.run(create_app(settings, services), **options)
        return
    # Each worker process builds its own app from the environment (settings included), joined to
    # the servers resolved here: they must not each start an embedded PostgreSQL.
    os.environ[SERVICES_ENV] = msgspec.json.encode(services).decode()
    uvicorn.run("hub.app:create_app_from_environment", factory=True, workers=workers, **options)


def _worker_process(services: Services) -> None:
    from hub.worker import build_worker  # noqa: PLC0415

    build_worker(services).run()


def _up(args: argparse.Namespace) -> int:
    import multiprocessing  # noqa: PLC0415

    settings = get_settings()
    services = resolve_services(settings)
    asyncio.run(_prepare(services))
    demo = None if args.no_demo else _seed_demo(services)
    base = f"http://{args.host}:{args.port}"
    print(f"orderhub is up: API {base}  docs {base}/schema  health {base}/ready", flush=True)
    print(
        f"  database: {'embedded' if services.embedded_database else 'configured'}"
        f"  redis: {'embedded' if services.embedded_redis else 'configured'}  data: {settings.data_dir}",
        flush=True,
    )
    if demo is not None:
        print(f"  demo tenant created: tenant_id {demo['tenant_id']}", flush=True)
        print(f"  demo API key (shown once): {demo['api_key']}", flush=True)
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_worker_process, args=(services,), name="orderhub-worker", daemon=True)
    worker.start()
    try:
        _serve(services, args.host, args.port, args.workers)
    finally:
        if worker.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid or 0, signal.SIGTERM)
            worker.join(timeout=10)
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM ends the process like Ctrl-C: finally blocks and atexit run, so the embedded PostgreSQL
    and Redis are stopped. (uvicorn re-raises the signal it caught once it has shut down; with the
    default handler the process would die on the spot and leave both servers running.)"""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    if args.command in ("up", "serve") and not os.environ.get("ORDERHUB_PUBLIC_URL"):
        # Webhook URLs handed to carriers, and the sandbox carrier posting back, need the real port.
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104  (comparison, not a bind)
        os.environ["ORDERHUB_PUBLIC_URL"] = f"http://{host}:{args.port}"
    try:
        if args.command == "up":
            return _up(args)
        if args.command == "serve":
            services = resolve_services(get_settings())
            asyncio.run(_prepare(services))
            _serve(services, args.host, args.port, args.workers)
            return 0
        if args.command == "worker":
            services = resolve_services(get_settings())
            asyncio.run(_prepare(services))
            _worker_process(services)
            return 0
        if args.command == "migrate":
            services = resolve_services(get_settings(), need_redis=False)
            asyncio.run(migrate(services.owner_database_url))
            return 0
        one_shot = {
            "tenant": _tenant_create,
            "key": _key_create,
            "user": _user_command,
            "hs": _hs_import,
            "tariff": _tariff_import,
        }
        if args.command in one_shot:
            return one_shot[args.command](args)
    except AppError as exc:
        body: dict[str, Any] = {"error": exc.detail}
        if exc.errors:
            body["errors"] = msgspec.to_builtins(exc.errors)
        print(json.dumps(body), file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
