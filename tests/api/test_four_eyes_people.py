"""Four-eyes compares people, not keys (issue #17, item 3).

Every key belongs to a person or is an integration. The same user through a second key, or
through a key and the console, is the same person; an integration key enters orders but never
decides; nobody mints a key above their own role.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from hub.core.database import fetch, tenant_tx
from tenants import service as tenant_service
from tenants import users
from tenants.roles import Role, strongest_within, within
from tenants.schemas import KeyKind, Principal
from tests.api.test_console import PASSWORD, csrf_of, sign_in
from tests.api.test_orders import _catalog, _order
from tests.api.test_returns import _shipped
from tests.conftest import TenantHandle


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def mint(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post("/v1/api-keys", json={"name": "second key", **body}, headers=headers)


async def person_of(tenant: TenantHandle, role: Role) -> uuid.UUID:
    principal = await tenant_service.authenticate(tenant.keys[role])
    assert principal is not None
    assert principal.user_id is not None
    return principal.user_id


async def rush_order(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    created = await client.post(
        "/v1/orders", json=_order(rush=True, external_ref=f"R-{uuid.uuid4().hex[:8]}", **changes), headers=headers
    )
    assert created.status_code == 201, created.text
    order: dict[str, Any] = created.json()
    assert order["status"] == "awaiting_approval", order
    return order


# --- the attack from the issue ----------------------------------------------------------------------


async def test_an_admin_with_a_second_key_still_cannot_approve_their_own_order(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    admin = tenant.headers(Role.ADMIN)
    order = await rush_order(client, admin)
    url = f"/v1/orders/{order['id']}"
    refused = await client.post(f"{url}/approve", json={"reason": "mine"}, headers=admin)
    assert refused.status_code == 403
    assert "four-eyes" in refused.json()["detail"]

    minted = await mint(client, admin, role="admin")
    assert minted.status_code == 201, minted.text
    second = minted.json()
    admin_id = await person_of(tenant, Role.ADMIN)
    assert (second["kind"], second["user_id"]) == ("user", str(admin_id))  # the minter's own key
    for action in ("approve", "reject"):
        again = await client.post(f"{url}/{action}", json={"reason": "second key"}, headers=bearer(second["api_key"]))
        assert again.status_code == 403, again.text
        assert "four-eyes" in again.json()["detail"]

    approved = await client.post(f"{url}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER))
    assert approved.status_code == 200, approved.text
    # The timeline names people: the admin (whichever key) entered it, the approver approved it.
    events = (await client.get(f"{url}/events", headers=tenant.headers())).json()
    by_kind = {event["kind"]: event["actor"] for event in events}
    assert by_kind["order.received"] == f"user:{admin_id}"
    assert by_kind["order.approved"] == f"user:{await person_of(tenant, Role.APPROVER)}"


async def test_a_second_key_cannot_decide_ones_own_change_request(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    order = (await client.post("/v1/orders", json=_order(), headers=tenant.headers(Role.CLERK))).json()
    admin = tenant.headers(Role.ADMIN)
    filed = await client.post(
        f"/v1/orders/{order['id']}/change-requests",
        json={"kind": "quantity", "reason": "five, please", "quantities": {"1": 5}},
        headers=admin,
    )
    assert filed.status_code == 201, filed.text
    second = (await mint(client, admin, role="admin")).json()
    url = f"/v1/change-requests/{filed.json()['id']}"
    for action in ("approve", "reject"):
        refused = await client.post(f"{url}/{action}", json={"reason": "x"}, headers=bearer(second["api_key"]))
        assert refused.status_code == 403, refused.text
        assert "four-eyes" in refused.json()["detail"]
    decided = await client.post(f"{url}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER))
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "applied"


async def test_a_second_key_cannot_decide_ones_own_return(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    order, _, _ = await _shipped(client, tenant)
    admin = tenant.headers(Role.ADMIN)
    requested = await client.post(
        f"/v1/orders/{order['id']}/returns",
        json={"reason": "too small", "lines": [{"line_no": 1, "quantity": 1}]},
        headers=admin,
    )
    assert requested.status_code == 201, requested.text
    second = (await mint(client, admin, role="admin")).json()
    url = f"/v1/returns/{requested.json()['id']}"
    for action in ("approve", "reject"):
        refused = await client.post(f"{url}/{action}", json={"reason": "x"}, headers=bearer(second["api_key"]))
        assert refused.status_code == 403, refused.text
        assert "four-eyes" in refused.json()["detail"]
    approved = await client.post(f"{url}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER))
    assert approved.status_code == 200, approved.text


async def test_a_key_and_the_console_are_the_same_person(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The admin enters an order with their key and signs in to the console to approve it: refused."""
    await _catalog(client, tenant)
    admin_id = await person_of(tenant, Role.ADMIN)
    await users.change_password(tenant.id, admin_id, PASSWORD)
    order = await rush_order(client, tenant.headers(Role.ADMIN))
    assert (await sign_in(browser, tenant, f"admin@{tenant.slug}.example")).status_code == 303
    page = await browser.get(f"/console/orders/{order['id']}")
    assert page.status_code == 200, page.text
    refused = await browser.post(
        f"/console/orders/{order['id']}/approve", data={"csrf_token": csrf_of(page.text), "reason": "mine"}
    )
    assert refused.status_code == 403, refused.text
    assert "four-eyes" in refused.text
    after = await client.get(f"/v1/orders/{order['id']}", headers=tenant.headers())
    assert after.json()["status"] == "awaiting_approval"


async def test_rows_naming_a_key_from_before_keys_had_owners_still_count_as_its_person(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """The migration gave old keys to the tenant's owner; their orders say ``key:<id>``."""
    await _catalog(client, tenant)
    order = await rush_order(client, tenant.headers(Role.OWNER))
    owner = await tenant_service.authenticate(tenant.keys[Role.OWNER])
    assert owner is not None
    assert owner.key_id is not None
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE orders SET entered_by = {} WHERE tenant_id = {} AND id = {}",
            f"key:{owner.key_id}",
            tenant.id,
            uuid.UUID(order["id"]),
        )
    second = (await mint(client, tenant.headers(Role.OWNER), role="owner")).json()
    refused = await client.post(
        f"/v1/orders/{order['id']}/approve", json={"reason": "x"}, headers=bearer(second["api_key"])
    )
    assert refused.status_code == 403, refused.text
    assert "four-eyes" in refused.json()["detail"]
    other = await client.post(
        f"/v1/orders/{order['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.ADMIN)
    )
    assert other.status_code == 200, other.text


# --- integration keys -------------------------------------------------------------------------------


async def test_an_integration_key_enters_orders_but_never_decides(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    shipped, _, _ = await _shipped(client, tenant)  # the catalog too
    minted = await mint(client, tenant.headers(), role="admin", kind="integration", name="ERP")
    assert minted.status_code == 201, minted.text
    assert (minted.json()["kind"], minted.json()["user_id"]) == ("integration", None)
    erp = bearer(minted.json()["api_key"])
    entered = await rush_order(client, erp)
    # Someone else's order, a change request and a return: each refused, naming why.
    other = await rush_order(client, tenant.headers(Role.CLERK))
    filed = await client.post(
        f"/v1/orders/{other['id']}/change-requests",
        json={"kind": "cancel", "reason": "customer called"},
        headers=tenant.headers(Role.CLERK),
    )
    assert filed.status_code == 201, filed.text
    returned = await client.post(
        f"/v1/orders/{shipped['id']}/returns",
        json={"reason": "too small", "lines": [{"line_no": 1, "quantity": 1}]},
        headers=tenant.headers(Role.CLERK),
    )
    assert returned.status_code == 201, returned.text
    for path in (
        f"/v1/orders/{other['id']}/approve",
        f"/v1/orders/{other['id']}/reject",
        f"/v1/change-requests/{filed.json()['id']}/approve",
        f"/v1/change-requests/{filed.json()['id']}/reject",
        f"/v1/returns/{returned.json()['id']}/approve",
        f"/v1/returns/{returned.json()['id']}/reject",
    ):
        refused = await client.post(path, json={"reason": "the ERP says so"}, headers=erp)
        assert refused.status_code == 403, (path, refused.text)
        problem = refused.json()
        assert problem["key_kind"] == "integration"
        assert "integration key" in problem["detail"]
    # Nothing was decided; a person decides the integration's own order.
    assert (await client.get(f"/v1/orders/{other['id']}", headers=tenant.headers())).json()["status"] == (
        "awaiting_approval"
    )
    approved = await client.post(
        f"/v1/orders/{entered['id']}/approve", json={"reason": "ok"}, headers=tenant.headers(Role.APPROVER)
    )
    assert approved.status_code == 200, approved.text
    events = (await client.get(f"/v1/orders/{entered['id']}/events", headers=tenant.headers())).json()
    assert events[0]["actor"] == f"key:{minted.json()['id']}"


async def test_an_integration_key_mints_only_integration_keys(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    erp = bearer((await mint(client, tenant.headers(), role="admin", kind="integration")).json()["api_key"])
    for_nobody = await mint(client, erp, role="clerk")
    assert for_nobody.status_code == 422, for_nobody.text
    assert for_nobody.json()["errors"][0]["field"] == "user_id"
    for_a_person = await mint(client, erp, role="clerk", user_id=str(await person_of(tenant, Role.CLERK)))
    assert for_a_person.status_code == 403, for_a_person.text
    assert for_a_person.json()["errors"][0]["field"] == "user_id"
    another = await mint(client, erp, role="clerk", kind="integration")
    assert another.status_code == 201, another.text
    assert another.json()["kind"] == "integration"


# --- minting ------------------------------------------------------------------------------------------


async def test_nobody_mints_a_key_above_their_own_role(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    admin = tenant.headers(Role.ADMIN)
    above = await mint(client, admin, role="owner")
    assert above.status_code == 403, above.text
    assert above.json()["errors"][0]["field"] == "role"
    integration_above = await mint(client, admin, role="owner", kind="integration")
    assert integration_above.status_code == 403
    for role in ("admin", "clerk", "approver", "viewer"):
        assert (await mint(client, admin, role=role)).status_code == 201, role
    assert (await mint(client, tenant.headers(Role.OWNER), role="owner")).status_code == 201
    # Roles without MANAGE mint nothing at all.
    assert (await mint(client, tenant.headers(Role.CLERK), role="viewer")).status_code == 403
    listed = (await client.get("/v1/api-keys", headers=tenant.headers())).json()
    assert {key["role"] for key in listed} <= {"owner", "admin", "clerk", "approver", "viewer"}
    assert all(key["kind"] == "user" and key["user_id"] for key in listed)


async def test_an_owner_assigns_keys_to_people_within_their_role(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    clerk_id = str(await person_of(tenant, Role.CLERK))
    owner = tenant.headers(Role.OWNER)
    assigned = await mint(client, owner, role="clerk", user_id=clerk_id)
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["user_id"] == clerk_id
    principal = await tenant_service.authenticate(assigned.json()["api_key"])
    assert principal is not None
    assert principal.actor == f"user:{clerk_id}"
    # More than the clerk may: approver grants APPROVE, which a clerk lacks.
    too_much = await mint(client, owner, role="approver", user_id=clerk_id)
    assert too_much.status_code == 422, too_much.text
    assert too_much.json()["errors"][0]["field"] == "role"
    # Only an owner assigns keys to others.
    by_admin = await mint(client, tenant.headers(Role.ADMIN), role="clerk", user_id=clerk_id)
    assert by_admin.status_code == 403
    assert by_admin.json()["errors"][0]["field"] == "user_id"
    nobody = await mint(client, owner, role="clerk", user_id=str(uuid.uuid4()))
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["field"] == "user_id"
    integration_with_user = await mint(client, owner, role="clerk", kind="integration", user_id=clerk_id)
    assert integration_with_user.status_code == 422
    assert integration_with_user.json()["errors"][0]["field"] == "user_id"


async def test_a_key_never_does_more_than_its_person_may_today(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    admin_id = await person_of(tenant, Role.ADMIN)
    async with tenant_tx(tenant.id):
        await fetch("UPDATE users SET role = 'viewer' WHERE tenant_id = {} AND id = {}", tenant.id, admin_id)
    tenant_service.forget_cached_principals(tenant.id, user_id=admin_id)
    demoted = await client.get("/v1/api-keys", headers=tenant.headers(Role.ADMIN))
    assert demoted.status_code == 403
    assert "'viewer'" in demoted.json()["detail"]
    assert (await client.get("/v1/tenant", headers=tenant.headers(Role.ADMIN))).status_code == 200


# --- the rules, as plain functions -------------------------------------------------------------------


def _principal(**fields: Any) -> Principal:
    base: dict[str, Any] = {
        "tenant_id": uuid.uuid4(),
        "tenant_slug": "t",
        "tenant_name": "T",
        "key_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "role": Role.ADMIN,
        "locale": "en",
        "base_currency": "EUR",
        "origin_country": "CN",
        "timezone": "UTC",
    }
    return Principal(**{**base, **fields})


@pytest.mark.unit
def test_same_person_reads_every_actor_string_a_timeline_holds() -> None:
    old_key = uuid.uuid4()
    person = _principal(key_kind=KeyKind.USER, person_key_ids=frozenset({old_key}))
    assert person.same_person(f"user:{person.user_id}")
    assert person.same_person(f"key:{person.key_id}")
    assert person.same_person(f"key:{old_key}")
    assert not person.same_person(f"key:{uuid.uuid4()}")
    assert not person.same_person(f"user:{uuid.uuid4()}")
    assert not person.same_person("channel:shopify")
    assert not person.same_person("key:not-a-uuid")
    integration = _principal(user_id=None, key_kind=KeyKind.INTEGRATION)
    assert integration.is_integration
    assert integration.actor == f"key:{integration.key_id}"
    assert integration.same_person(integration.actor)
    assert not integration.same_person(f"key:{uuid.uuid4()}")


@pytest.mark.unit
def test_roles_order_and_grants_bound_a_key() -> None:
    assert within(Role.ADMIN, Role.OWNER)
    assert not within(Role.OWNER, Role.ADMIN)
    assert within(Role.CLERK, Role.ADMIN)
    assert not within(Role.APPROVER, Role.CLERK)  # ranked lower, but grants APPROVE
    assert not within(Role.CLERK, Role.APPROVER)
    assert strongest_within(Role.ADMIN, Role.OWNER) is Role.ADMIN
    assert strongest_within(Role.CLERK, Role.APPROVER) is Role.VIEWER
    assert strongest_within(Role.OWNER, Role.VIEWER) is Role.VIEWER
