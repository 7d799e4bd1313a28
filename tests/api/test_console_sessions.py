"""Console sessions live server-side (issue #17, item 4): the cookie is a random token whose hash is
a row; signing out, a password change and disabling the user revoke it, wherever copies of it are."""

from __future__ import annotations

import hashlib
import re
import uuid

import httpx
import pytest

from hub.console.session import COOKIE, CSRF_COOKIE
from hub.core.database import fetch, tenant_tx
from tenants import sessions, users
from tenants.roles import Role
from tests.api.test_console import PASSWORD, csrf_of, make_user, sign_in
from tests.conftest import TenantHandle


def session_cookie(browser: httpx.AsyncClient) -> str:
    token = browser.cookies.get(COOKIE, path="/console")
    assert token, "no session cookie"
    return token


async def replay(client: httpx.AsyncClient, token: str, path: str = "/console/queue") -> httpx.Response:
    """A request from another machine holding a copy of the cookie."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as thief:
        return await thief.get(path, headers={"Cookie": f"{COOKIE}={token}"})


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/console/login")


async def signed_in_user(
    tenant: TenantHandle, browser: httpx.AsyncClient, role: Role = Role.CLERK
) -> tuple[str, uuid.UUID]:
    email = await make_user(tenant, role)
    assert (await sign_in(browser, tenant, email)).status_code == 303
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT id FROM users WHERE tenant_id = {} AND email = {}", tenant.id, email)
    return email, rows[0]["id"]


async def test_the_cookie_is_a_random_token_and_only_its_hash_is_stored(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    _, user_id = await signed_in_user(tenant, browser)
    token = session_cookie(browser)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
    assert str(tenant.id) not in token
    assert str(user_id) not in token
    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT token_hash, csrf_token, expires_at - created_at AS lasts FROM console_sessions "
            "WHERE tenant_id = {} AND user_id = {}",
            tenant.id,
            user_id,
        )
    assert len(rows) == 1
    assert bytes(rows[0]["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert rows[0]["lasts"].total_seconds() == pytest.approx(8 * 3600, abs=5)
    # The page's CSRF token is the session row's, and the sign-in form's cookie is gone.
    page = await browser.get("/console/queue")
    assert page.status_code == 200
    assert csrf_of(page.text) == rows[0]["csrf_token"]
    assert browser.cookies.get(CSRF_COOKIE, path="/console") is None


async def test_logout_revokes_the_session_so_a_copy_of_the_cookie_signs_nobody_in(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await signed_in_user(tenant, browser)
    token = session_cookie(browser)
    assert (await replay(client, token)).status_code == 200  # the copy works while the session lives
    page = await browser.get("/console/queue")
    out = await browser.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert "Max-Age=0" in out.headers["set-cookie"] or 'orderhub_console=""' in out.headers["set-cookie"]
    assert signed_out(await browser.get("/console/queue"))
    stolen = await replay(client, token)
    assert signed_out(stolen), stolen.text
    # The stale cookie is deleted on the way to the sign-in page.
    assert f"{COOKIE}=" in stolen.headers["set-cookie"]
    async with tenant_tx(tenant.id):
        rows = await fetch(
            "SELECT revoked_reason FROM console_sessions WHERE tenant_id = {} AND token_hash = {}",
            tenant.id,
            hashlib.sha256(token.encode()).digest(),
        )
    assert [row["revoked_reason"] for row in rows] == ["logout"]


async def test_a_password_change_signs_out_every_other_session(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, second_browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    email, user_id = await signed_in_user(tenant, browser)
    assert (await sign_in(second_browser, tenant, email)).status_code == 303
    here = await sessions.resume(session_cookie(browser))
    assert here is not None
    revoked = await users.change_password(tenant.id, user_id, "a brand new passphrase", keep_session=here.id)
    assert revoked == 1
    assert (await browser.get("/console/queue")).status_code == 200  # the session that changed it
    assert signed_out(await second_browser.get("/console/queue"))
    # The old password no longer signs in; the new one does.
    assert (await sign_in(second_browser, tenant, email, PASSWORD)).status_code == 401
    assert (await sign_in(second_browser, tenant, email, "a brand new passphrase")).status_code == 303
    # Changed by the operator (no session of theirs): every session ends.
    assert await users.change_password(tenant.id, user_id, "yet another passphrase") == 2
    assert signed_out(await browser.get("/console/queue"))
    assert signed_out(await second_browser.get("/console/queue"))


async def test_disabling_a_user_signs_them_out_and_stops_their_keys(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    _, user_id = await signed_in_user(tenant, browser, Role.CLERK)
    key = await client.post(
        "/v1/api-keys", json={"role": "clerk", "user_id": str(user_id)}, headers=tenant.headers(Role.OWNER)
    )
    assert key.status_code == 201, key.text
    clerk_key = {"Authorization": f"Bearer {key.json()['api_key']}"}
    assert (await client.get("/v1/orders", headers=clerk_key)).status_code == 200
    listed = (await client.get("/v1/users", headers=tenant.headers())).json()
    assert {"id": str(user_id), "role": "clerk", "disabled_at": None}.items() <= next(
        u for u in listed if u["id"] == str(user_id)
    ).items()

    disabled = await client.post(f"/v1/users/{user_id}/disable", headers=tenant.headers(Role.ADMIN))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled_at"] is not None
    assert signed_out(await browser.get("/console/queue"))
    assert (await client.get("/v1/orders", headers=clerk_key)).status_code == 401
    # Enabled again: the keys work, but the revoked session stays revoked: sign in afresh.
    enabled = await client.post(f"/v1/users/{user_id}/enable", headers=tenant.headers(Role.ADMIN))
    assert enabled.status_code == 200
    assert enabled.json()["disabled_at"] is None
    assert (await client.get("/v1/orders", headers=clerk_key)).status_code == 200
    assert signed_out(await browser.get("/console/queue"))


async def test_who_may_disable_whom(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    people = {u["role"]: u["id"] for u in (await client.get("/v1/users", headers=tenant.headers())).json()}
    owner_id = people["owner"]
    admin_ids = [people["admin"]]
    above = await client.post(f"/v1/users/{owner_id}/disable", headers=tenant.headers(Role.ADMIN))
    assert above.status_code == 403, above.text
    self_disable = await client.post(f"/v1/users/{admin_ids[0]}/disable", headers=tenant.headers(Role.ADMIN))
    assert self_disable.status_code == 403
    assert (await client.post(f"/v1/users/{owner_id}/disable", headers=tenant.headers(Role.CLERK))).status_code == 403
    assert (await client.post(f"/v1/users/{uuid.uuid4()}/disable", headers=tenant.headers())).status_code == 404
    assert (await client.post("/v1/users/not-an-id/disable", headers=tenant.headers())).status_code == 404


async def test_an_expired_session_sends_the_browser_to_sign_in(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    _, user_id = await signed_in_user(tenant, browser)
    async with tenant_tx(tenant.id):
        await fetch(
            "UPDATE console_sessions SET expires_at = now() - interval '1 second' "
            "WHERE tenant_id = {} AND user_id = {}",
            tenant.id,
            user_id,
        )
    assert signed_out(await browser.get("/console/orders/new"))


async def test_a_forged_or_oversized_cookie_is_no_session(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for token in ("x" * 43, "y" * 5000, "not a token!", ""):
        response = await replay(client, token)
        assert signed_out(response), (token[:10], response.status_code)


async def test_flash_messages_survive_the_redirect_and_show_once(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    from tests.api.test_console import enter_order  # noqa: PLC0415

    await signed_in_user(tenant, browser, Role.CLERK)
    order_id = await enter_order(browser)
    first = await browser.get(f"/console/orders/{order_id}")
    assert 'class="flash ok" role="status">Order' in first.text
    second = await browser.get(f"/console/orders/{order_id}")
    assert second.status_code == 200
    assert 'class="flash' not in second.text


async def test_changing_ones_password_in_the_console_signs_out_the_other_sessions(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, second_browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    email, _ = await signed_in_user(tenant, browser)
    assert (await sign_in(second_browser, tenant, email)).status_code == 303
    page = await browser.get("/console/password")
    assert page.status_code == 200
    csrf = csrf_of(page.text)

    async def change(current: str, new: str, repeat: str) -> httpx.Response:
        form = {"csrf_token": csrf, "current_password": current, "new_password": new, "repeat_password": repeat}
        return await browser.post("/console/password", data=form)

    wrong = await change("not my password", "a fresh passphrase", "a fresh passphrase")
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.text
    differ = await change(PASSWORD, "a fresh passphrase", "a fresh passphrasE")
    assert differ.status_code == 422
    short = await change(PASSWORD, "short", "short")
    assert short.status_code == 422
    assert (await second_browser.get("/console/queue")).status_code == 200  # nothing changed yet

    done = await change(PASSWORD, "a fresh passphrase", "a fresh passphrase")
    assert done.status_code == 303, done.text
    after = await browser.get(done.headers["location"])
    assert after.status_code == 200
    assert "Password changed" in after.text
    assert signed_out(await second_browser.get("/console/queue"))
    assert (await sign_in(second_browser, tenant, email, "a fresh passphrase")).status_code == 303
