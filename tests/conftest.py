"""Test services: real PostgreSQL and Redis, never fakes.

With ``DATABASE_URL`` / ``REDIS_URL`` set (CI sets them to this machine's services) a fresh database
is created for the run and dropped after; unset, the embedded servers start under ``var/test`` — the
same path ``orderhub up`` takes on a fresh machine. Migrations run as the owner; the app and every
test talk to the database as ``orderhub_app``, the non-superuser, non-owner role, so row-level
security is really in force.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from hub.app import create_app, open_resources
from hub.core import embedded
from hub.core.bootstrap import Services, migrate
from hub.core.settings import APP_DB_ROLE, Settings
from tenants import service as tenant_service
from tenants import users
from tenants.roles import Role
from tenants.schemas import NewUser, TenantCreate
from tests.status_conformance import StatusRecorder

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "test-secret-key-not-for-production-0123456789"
# Code outside a request (jobs, the worker) reads settings from the environment: give it the same
# secret as the app under test, so what one encrypts the other decrypts.
os.environ["ORDERHUB_SECRET_KEY"] = TEST_SECRET_KEY


def _replace_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("orderhub-data")
    return Settings(
        data_dir=data_dir,
        database_url=None,
        app_database_url=None,
        redis_url=None,
        secret_key=TEST_SECRET_KEY,
        max_body_bytes=262_144,
        max_upload_bytes=1_048_576,
    )


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    import asyncio  # noqa: PLC0415

    configured = os.environ.get("DATABASE_URL")
    if configured:
        server_url = configured
        embedded_db = False
    else:
        server_url = embedded.start_postgres(ROOT / "var" / "test")
        embedded_db = True
    test_db = f"orderhub_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{test_db}"'))
    owner_url = _replace_database(server_url, test_db)
    redis_url = os.environ.get("REDIS_URL") or embedded.start_redis(ROOT / "var" / "test")
    asyncio.run(migrate(owner_url, quiet=True))
    yield Services(
        owner_database_url=owner_url,
        app_database_url=embedded.app_url_for(owner_url, APP_DB_ROLE),
        redis_url=redis_url,
        embedded_database=embedded_db,
        embedded_redis=not os.environ.get("REDIS_URL"),
    )
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{test_db}" WITH (FORCE)'))


_RECORDER: list[StatusRecorder] = []


@pytest.fixture(scope="session")
async def client(test_settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running in the test's own event loop.

    Not Litestar's AsyncTestClient: that runs the app in a portal thread with a second event loop,
    and the asyncpg pool the app opens could then not be shared with service-level tests.
    Every answer is checked against the OpenAPI document (:func:`_declared_statuses_only`).
    """
    app = create_app(test_settings, services)
    recorder = StatusRecorder(app)
    _RECORDER.append(recorder)
    async with open_resources(app.state, test_settings, services):
        transport = httpx.ASGITransport(app=recorder)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
            yield test_client


@pytest.fixture(autouse=True)
def _declared_statuses_only() -> Iterator[None]:
    """Fail the test whose requests got a status their OpenAPI operation does not declare."""
    yield
    undeclared = [line for recorder in _RECORDER for line in recorder.take()]
    if undeclared:
        pytest.fail("answers the OpenAPI document does not declare:\n" + "\n".join(undeclared), pytrace=False)


class TenantHandle:
    """A tenant made for one test, with one API key per role."""

    def __init__(self, tenant_id: uuid.UUID, slug: str, keys: dict[Role, str]) -> None:
        self.id = tenant_id
        self.slug = slug
        self.keys = keys

    def headers(self, role: Role = Role.OWNER, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}


async def make_tenant(base_currency: str = "EUR", origin_country: str = "CN") -> TenantHandle:
    """A tenant whose five keys belong to five people (four-eyes compares people), one per role.

    The people have no password (API keys only); console tests create their own users to sign in.
    """
    slug = f"t-{uuid.uuid4().hex[:12]}"
    tenant, owner_key = await tenant_service.create_tenant(
        TenantCreate(slug=slug, name=f"Tenant {slug}", base_currency=base_currency, origin_country=origin_country),
        owner=NewUser(email=f"owner@{slug}.example", display_name="Owner Person"),
    )
    keys = {Role.OWNER: owner_key}
    for role in (Role.ADMIN, Role.CLERK, Role.APPROVER, Role.VIEWER):
        person = await users.create_user(tenant.id, f"{role.value}@{slug}.example", f"{role.value} person", role, None)
        keys[role] = (await tenant_service.create_api_key(tenant.id, role, f"{role.value} key", person)).api_key
    return TenantHandle(tenant.id, slug, keys)


@pytest.fixture
async def owner(services: Services) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the schema owner (past the application role's grants; row-level security is
    forced on the owner too, so it sees a tenant's rows only in that tenant's scope)."""
    connection = await asyncpg.connect(services.owner_database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def tenant(client: httpx.AsyncClient) -> TenantHandle:
    del client  # the app's lifespan owns the pool the service uses
    return await make_tenant()


@pytest.fixture
async def other_tenant(client: httpx.AsyncClient) -> TenantHandle:
    del client
    return await make_tenant()


async def run_outbox_jobs(tenant_id: uuid.UUID, *, only: str | None = None) -> list[str]:
    """Run this tenant's pending outbox jobs in-process through the worker's own registered functions.

    The same code the arq worker runs, minus the Redis hop (tests of that hop live in
    tests/integration/test_outbox_and_worker.py). Returns the job names run.
    """
    import msgspec  # noqa: PLC0415

    from hub.core.database import fetch, tenant_tx  # noqa: PLC0415
    from hub.worker import JOBS  # noqa: PLC0415

    functions = {job.name: job.coroutine for job in JOBS}
    async with tenant_tx(tenant_id):
        rows = await fetch(
            "SELECT id, job, payload FROM outbox WHERE tenant_id = {} AND completed_at IS NULL ORDER BY id", tenant_id
        )
    ran = []
    for row in rows:
        if only is not None and row["job"] != only:
            continue
        payload = row["payload"] if isinstance(row["payload"], dict) else msgspec.json.decode(row["payload"])
        await functions[row["job"]]({"redis": None}, str(tenant_id), str(row["id"]), payload)
        ran.append(row["job"])
    return ran
