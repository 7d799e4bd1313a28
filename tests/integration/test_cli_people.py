"""The command line's people: a tenant with its owner, keys for a named user or an integration, and
a password change and a disable that sign the user out."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from hub.core.bootstrap import Services
from tenants import service as tenant_service
from tenants import sessions
from tests.integration.test_cli import _run


async def test_people_from_the_command_line(services: Services, tmp_path: Path, client: httpx.AsyncClient) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    created = _run(
        services,
        tmp_path,
        *("tenant", "create", slug, "--name", "CLI Ltd", "--owner-email", "Boss@Example.com"),
        *("--owner-name", "The Boss", "--owner-password-env", "PW", "--json"),
        env={"PW": "the owner's long password"},
    )
    assert created.returncode == 0, created.stderr
    tenant = json.loads(created.stdout)
    assert tenant["key_kind"] == "user"
    owner = await tenant_service.authenticate(tenant["api_key"])
    assert owner is not None
    assert owner.user_id is not None
    assert not owner.is_integration

    for_the_owner = _run(
        services, tmp_path, "key", "create", "--tenant", slug, "--role", "admin", "--user", "boss@example.com", "--json"
    )
    assert for_the_owner.returncode == 0, for_the_owner.stderr
    assert json.loads(for_the_owner.stdout)["kind"] == "user"
    second = await tenant_service.authenticate(json.loads(for_the_owner.stdout)["api_key"])
    assert second is not None
    assert second.user_id == owner.user_id  # one person, two keys

    system = _run(services, tmp_path, "key", "create", "--tenant", slug, "--role", "clerk", "--json")
    assert system.returncode == 0, system.stderr
    assert json.loads(system.stdout)["kind"] == "integration"

    # Signed in twice; the operator resets the password: both sessions end.
    await sessions.start(owner, "The Boss")
    await sessions.start(owner, "The Boss")
    reset = _run(
        services,
        tmp_path,
        *("user", "password", "--tenant", slug, "--email", "boss@example.com", "--password-env", "PW", "--json"),
        env={"PW": "a new long password"},
    )
    assert reset.returncode == 0, reset.stderr
    assert json.loads(reset.stdout)["sessions_revoked"] == 2
    short = _run(
        services,
        tmp_path,
        *("user", "password", "--tenant", slug, "--email", "boss@example.com", "--password-env", "PW"),
        env={"PW": "short"},
    )
    assert short.returncode == 2
    assert json.loads(short.stderr)["errors"][0]["field"] == "password"

    disabled = _run(services, tmp_path, "user", "disable", "--tenant", slug, "--email", "boss@example.com", "--json")
    assert disabled.returncode == 0, disabled.stderr
    assert json.loads(disabled.stdout)["disabled_at"]
    tenant_service.forget_cached_principals(owner.tenant_id)
    assert (await client.get("/v1/tenant", headers={"Authorization": f"Bearer {tenant['api_key']}"})).status_code == 401
    enabled = _run(services, tmp_path, "user", "enable", "--tenant", slug, "--email", "boss@example.com", "--json")
    assert enabled.returncode == 0, enabled.stderr
    assert json.loads(enabled.stdout)["disabled_at"] is None
    tenant_service.forget_cached_principals(owner.tenant_id)
    assert (await client.get("/v1/tenant", headers={"Authorization": f"Bearer {tenant['api_key']}"})).status_code == 200
    unknown = _run(services, tmp_path, "user", "disable", "--tenant", slug, "--email", "nobody@example.com")
    assert unknown.returncode == 2
