"""The clerk console through the ASGI app: sign-in, CSRF, the queue, four-eyes approval, logout."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from hub.console.session import COOKIE
from tenants import users
from tenants.roles import Role
from tests.conftest import TenantHandle

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def make_user(tenant: TenantHandle, role: Role = Role.OWNER) -> str:
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    await users.create_user(tenant.id, email, f"{role.value.title()} Person", role, PASSWORD)
    return email


async def sign_in(
    browser: httpx.AsyncClient, tenant: TenantHandle, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await browser.get("/console/login")
    assert page.status_code == 200
    return await browser.post(
        "/console/login",
        data={"csrf_token": csrf_of(page.text), "tenant": tenant.slug, "email": email, "password": password},
    )


def manual_order(csrf: str, **extra: str) -> dict[str, Any]:
    return {
        "csrf_token": csrf,
        "channel_detail": "phone",
        "external_ref": f"TEL-{uuid.uuid4().hex[:6]}",
        "rush": "on",
        "customer.code": "C-7",
        "customer.name": "Li Wei",
        "customer.email": "li@example.com",
        "ship_to.name": "Li Wei",
        "ship_to.line1": "Hauptstr. 5",
        "ship_to.postal_code": "10115",
        "ship_to.city": "Berlin",
        "ship_to.country": "DE",
        "currency": "EUR",
        "incoterm": "DDP",
        "shipping": "8.00",
        "lines[0].name": "Tea cup",
        "lines[0].quantity": "2",
        "lines[0].unit_price": "12.50",
        "lines[0].hs_code": "691110",
        "lines[0].origin_country": "CN",
        "lines[0].weight_kg": "0.3",
        **extra,
    }


async def enter_order(browser: httpx.AsyncClient) -> str:
    form = await browser.get("/console/orders/new")
    assert form.status_code == 200, form.text
    created = await browser.post("/console/orders/new", data=manual_order(csrf_of(form.text)))
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert location.startswith("/console/orders/")
    return location.rsplit("/", 1)[1]


async def test_sign_in_shows_tenant_and_role_and_refuses_a_wrong_password(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    email = await make_user(tenant, Role.CLERK)
    assert (await browser.get("/console/queue")).status_code == 303  # not signed in: to the sign-in page
    wrong = await sign_in(browser, tenant, email, "not the password")
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    signed = await sign_in(browser, tenant, email.upper())  # e-mail matched case-insensitively
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert COOKIE in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/console" in cookie
    queue = await browser.get("/console/queue")
    assert queue.status_code == 200
    assert f"Tenant {tenant.slug}" in queue.text
    assert "Clerk" in queue.text
    assert "default-src 'none'" in queue.headers["content-security-policy"]


async def test_post_without_or_with_a_wrong_csrf_token_is_refused(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    email = await make_user(tenant, Role.OWNER)
    # Even the sign-in form needs its token.
    no_token = await browser.post("/console/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD})
    assert no_token.status_code == 403
    assert (await sign_in(browser, tenant, email)).status_code == 303
    form = await browser.get("/console/orders/new")
    body = manual_order("")
    del body["csrf_token"]
    missing = await browser.post("/console/orders/new", data=body)
    assert missing.status_code == 403
    forged = await browser.post("/console/orders/new", data=manual_order("x" * 43))
    assert forged.status_code == 403
    ok = await browser.post("/console/orders/new", data=manual_order(csrf_of(form.text)))
    assert ok.status_code == 303
    # The JSON API is untouched by the console's CSRF check: bearer keys, no token.
    api = await browser.get("/v1/orders", headers=tenant.headers())
    assert api.status_code == 200


async def test_manual_order_errors_appear_next_to_their_fields(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    email = await make_user(tenant, Role.CLERK)
    await sign_in(browser, tenant, email)
    form = await browser.get("/console/orders/new")
    bad = manual_order(
        csrf_of(form.text), **{"customer.email": "not-an-email", "lines[0].hs_code": "12", "ship_to.country": "XX"}
    )
    answer = await browser.post("/console/orders/new", data=bad)
    assert answer.status_code == 422
    assert 'data-field="customer.email"' in answer.text
    assert 'data-field="lines[0].hs_code"' in answer.text
    assert 'value="not-an-email"' in answer.text  # what was typed is kept


async def test_manual_order_inputs_carry_their_limits(browser: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """The limits reach the browser as attributes (they were escaped into text: maxlength=&#34;2&#34;)."""
    await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))
    page = (await browser.get("/console/orders/new")).text
    for attribute in ('maxlength="2"', 'maxlength="3"', 'inputmode="decimal"'):
        assert attribute in page
    assert "&#34;" not in page


async def test_queue_lists_an_awaiting_order_and_four_eyes_holds_in_the_console(
    browser: httpx.AsyncClient, second_browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    entering = await make_user(tenant, Role.OWNER)
    approver = await make_user(tenant, Role.APPROVER)
    await sign_in(browser, tenant, entering)
    order_id = await enter_order(browser)

    queue = await browser.get("/console/queue", params={"status": "awaiting_approval"})
    assert queue.status_code == 200
    assert f'data-order-id="{order_id}"' in queue.text
    assert "Rush order: needs approval." in queue.text
    searched = await browser.get("/console/queue", params={"q": "Li Wei"})
    assert f'data-order-id="{order_id}"' in searched.text
    elsewhere = await browser.get("/console/queue", params={"q": "nobody-like-this"})
    assert order_id not in elsewhere.text

    page = await browser.get(f"/console/orders/{order_id}")
    assert page.status_code == 200
    assert "Awaiting approval" in page.text
    refused = await browser.post(
        f"/console/orders/{order_id}/approve", data={"csrf_token": csrf_of(page.text), "reason": "mine"}
    )
    assert refused.status_code == 403
    assert "four-eyes" in refused.text
    assert "Awaiting approval" in refused.text

    await sign_in(second_browser, tenant, approver)
    page = await second_browser.get(f"/console/orders/{order_id}")
    approved = await second_browser.post(
        f"/console/orders/{order_id}/approve", data={"csrf_token": csrf_of(page.text), "reason": "rush is fine"}
    )
    assert approved.status_code == 303
    after = await second_browser.get(approved.headers["location"])
    assert "Order approved." in after.text
    assert 'data-testid="status">Approved<' in after.text
    assert "Approver Person" in after.text  # the timeline names the user
    api = await browser.get(f"/v1/orders/{order_id}/events", headers=tenant.headers())
    actors = {event["actor"] for event in api.json() if event["kind"] == "order.approved"}
    assert len(actors) == 1
    assert actors.pop().startswith("user:")


async def test_roles_are_enforced_in_the_console(browser: httpx.AsyncClient, tenant: TenantHandle) -> None:
    clerk = await make_user(tenant, Role.CLERK)
    await sign_in(browser, tenant, clerk)
    assert (await browser.get("/console/settings")).status_code == 403
    order_id = await enter_order(browser)
    page = await browser.get(f"/console/orders/{order_id}")
    assert 'data-testid="approve"' not in page.text
    refused = await browser.post(f"/console/orders/{order_id}/approve", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403


async def test_settings_lists_keys_and_other_tenants_orders_are_not_found(
    browser: httpx.AsyncClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    owner = await make_user(tenant, Role.OWNER)
    await sign_in(browser, tenant, owner)
    settings = await browser.get("/console/settings")
    assert settings.status_code == 200
    assert tenant.keys[Role.OWNER][:12] in settings.text
    assert tenant.keys[Role.OWNER] not in settings.text
    created = await browser.post(
        "/v1/orders",
        headers=other_tenant.headers(),
        json={
            "customer": {"code": "X", "name": "X", "email": "x@example.com"},
            "ship_to": {"country": "DE"},
            "currency": "EUR",
            "lines": [{"name": "thing", "quantity": 1, "unit_price": {"amount": "1.00", "currency": "EUR"}}],
        },
    )
    assert created.status_code == 201, created.text
    assert (await browser.get(f"/console/orders/{created.json()['id']}")).status_code == 404


async def test_language_switch_and_logout(browser: httpx.AsyncClient, tenant: TenantHandle) -> None:
    email = await make_user(tenant, Role.OWNER)
    await sign_in(browser, tenant, email)
    switched = await browser.get("/console/lang/zh_Hans", params={"next": "/console/queue"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/queue"
    assert "审核队列" in (await browser.get("/console/queue")).text
    assert (await browser.get("/console/lang/en", params={"next": "https://evil.example/"})).headers[
        "location"
    ] == "/console/queue"
    page = await browser.get("/console/queue")
    assert "Review queue" in page.text
    out = await browser.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert (await browser.get("/console/queue")).status_code == 303


async def test_create_user_refuses_a_duplicate_and_a_short_password(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    del client
    from hub.core.errors import Conflict, ValidationFailed  # noqa: PLC0415

    email = await make_user(tenant, Role.CLERK)
    with pytest.raises(Conflict):
        await users.create_user(tenant.id, email.upper(), "Again", Role.CLERK, PASSWORD)
    with pytest.raises(ValidationFailed):
        await users.create_user(tenant.id, "new@example.com", "Short", Role.CLERK, "short")
    assert await users.verify_credentials(tenant.slug, email, "wrong password!") is None
    assert await users.verify_credentials("no-such-tenant", email, PASSWORD) is None
    principal = await users.verify_credentials(tenant.slug, email, PASSWORD)
    assert principal is not None
    assert principal.tenant_id == tenant.id
    assert principal.key_id is None
    assert principal.actor == f"user:{principal.user_id}"


async def test_repeated_failed_sign_ins_lock_the_account_for_a_while(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    from hub.console import controllers  # noqa: PLC0415

    email = await make_user(tenant, Role.CLERK)
    for _ in range(controllers.LOGIN_FAILURES):
        assert (await sign_in(browser, tenant, email, "wrong password")).status_code == 401
    locked = await sign_in(browser, tenant, email)
    assert locked.status_code == 429
    controllers._failures.clear()
    controllers._address_failures.clear()
    assert (await sign_in(browser, tenant, email)).status_code == 303


async def test_one_address_spraying_many_e_mails_is_refused_others_are_not(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """One password tried against many accounts stays under every per-account limit: the client's
    address has its own limit, and only that address is refused."""
    from hub.console import controllers  # noqa: PLC0415

    app = client._transport.app  # type: ignore[attr-defined]
    attacker = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    victim = await make_user(tenant, Role.CLERK)
    transports = {
        address: httpx.ASGITransport(app=app, client=(address, 40_000)) for address in (attacker, "198.51.100.7")
    }
    try:
        async with (
            httpx.AsyncClient(transport=transports[attacker], base_url="http://testserver") as sprayer,
            httpx.AsyncClient(transport=transports["198.51.100.7"], base_url="http://testserver") as colleague,
        ):
            for n in range(controllers.LOGIN_FAILURES_PER_ADDRESS):
                sprayed = await sign_in(sprayer, tenant, f"user-{n}@example.com", "Summer2024!")
                assert sprayed.status_code == 401, n
            refused = await sign_in(sprayer, tenant, f"user-{uuid.uuid4().hex[:6]}@example.com", "Summer2024!")
            assert refused.status_code == 429
            # Refused even with the right password: the address, not the account, is limited.
            assert (await sign_in(sprayer, tenant, victim)).status_code == 429
            assert (await sign_in(colleague, tenant, victim)).status_code == 303
    finally:
        controllers._address_failures.clear()


def test_a_flood_of_new_addresses_does_not_reset_one_still_failing() -> None:
    """Memory is bounded by evicting the address that failed longest ago, never every counter."""
    from hub.console.controllers import _FailureLog  # noqa: PLC0415

    log = _FailureLog(limit=3, max_keys=100)
    for _ in range(3):
        log.note("attacker")
    for n in range(1000):
        log.note(f"198.51.100.{n}")
        assert log.blocked("attacker"), n  # refused attempts keep it recent
    assert len(log) <= 100


def test_an_ipv6_client_is_limited_by_its_64() -> None:
    from hub.console.controllers import client_key  # noqa: PLC0415

    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:203.0.113.5") == client_key("203.0.113.5") == "203.0.113.5"


async def test_text_the_database_refuses_is_a_console_error_page_not_a_500(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A NUL character pasted into a field: the API answers 400 for it, the console did a 500."""
    email = await make_user(tenant, Role.OWNER)
    await sign_in(browser, tenant, email)
    form = await browser.get("/console/orders/new")
    csrf = csrf_of(form.text)
    entered = await browser.post("/console/orders/new", data=manual_order(csrf, **{"customer.name": "Li\x00Wei"}))
    searched = await browser.get("/console/queue", params={"q": "Li\x00Wei"})
    exporter = await browser.post(
        "/console/settings/exporter",
        data={
            "csrf_token": csrf,
            "exporter.name": "Bright\x00",
            "exporter.address.line1": "88 Keji Road",
            "exporter.address.city": "Shenzhen",
            "exporter.address.country": "CN",
        },
    )
    for answer in (entered, searched, exporter):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert "NUL" in answer.text
        assert "Something went wrong" not in answer.text


async def test_a_superscript_or_other_non_decimal_digit_quantity_is_a_field_error(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """'²'.isdigit() is True but int('²') raises: the form answered 500 and lost the order typed."""
    email = await make_user(tenant, Role.CLERK)
    await sign_in(browser, tenant, email)
    form = await browser.get("/console/orders/new")
    answer = await browser.post(
        "/console/orders/new", data=manual_order(csrf_of(form.text), **{"lines[0].quantity": "²"})
    )
    assert answer.status_code == 422, answer.text
    assert 'data-field="lines[0].quantity"' in answer.text
    assert 'value="Li Wei"' in answer.text
    fullwidth = await browser.post(
        "/console/orders/new", data=manual_order(csrf_of(form.text), **{"lines[0].quantity": "２"})
    )
    assert fullwidth.status_code == 303  # a full-width 2 typed with a Chinese input method is a 2


LANG_LINK = re.compile(r'href="(/console/lang/zh_Hans\?next=[^"]+)"')


async def test_switching_language_on_a_refused_form_opens_its_page_not_a_post_only_address(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A refusal re-renders the page at the address the form posted to; the language links sent
    the clerk back to that address with a GET, which only POST serves (405)."""
    email = await make_user(tenant, Role.OWNER)
    await sign_in(browser, tenant, email)
    order_id = await enter_order(browser)
    csrf = csrf_of((await browser.get(f"/console/orders/{order_id}")).text)
    refusals = {
        f"/console/orders/{order_id}": await browser.post(
            f"/console/orders/{order_id}/reject", data={"csrf_token": csrf}
        ),
        "/console/settings": await browser.post(
            "/console/settings/policy", data={"csrf_token": csrf, "max_discount_percent": "200"}
        ),
    }
    for page, refused in refusals.items():
        assert refused.status_code == 422, refused.text
        link = LANG_LINK.search(refused.text)
        assert link, refused.text
        switched = await browser.get(link.group(1).replace("&amp;", "&"))
        assert switched.status_code == 303
        assert switched.headers["location"] == page
        assert (await browser.get(switched.headers["location"])).status_code == 200


async def test_an_unknown_console_address_or_method_is_a_console_page_not_problem_json(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    email = await make_user(tenant, Role.CLERK)
    await sign_in(browser, tenant, email)
    await browser.get("/console/lang/zh_Hans")
    order_id = await enter_order(browser)
    for answer, status in (
        (await browser.get("/console/order/typo"), 404),
        (await browser.get(f"/console/orders/{order_id}/approve"), 405),  # the address bar after a refusal
    ):
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html"), answer.text
        assert 'data-testid="error"' in answer.text
        assert "审核队列" in answer.text  # in the clerk's language, with the way back
        assert "Not Found" not in answer.text
        assert "Method Not Allowed" not in answer.text
    too_long = await browser.get("/console/queue", params={"q": "x" * 600})
    assert too_long.status_code == 400
    assert "Validation failed" not in too_long.text
    assert (await browser.get("/v1/no-such-thing")).headers["content-type"] == "application/problem+json"


async def test_the_queue_pages_past_its_first_fifty(browser: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Orders beyond the oldest 50 were out of the clerk's sight but for a search."""
    from tests.api.test_orders import _catalog, _order  # noqa: PLC0415  (the orders tests' fixtures)

    await _catalog(browser, tenant, on_hand=1000)
    numbers = []
    for index in range(52):
        created = await browser.post(
            "/v1/orders", json=_order(external_ref=f"PAGE-{index}", rush=True), headers=tenant.headers()
        )
        assert created.status_code == 201, created.text
        numbers.append(created.json()["number"])
    await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))

    first = (await browser.get("/console/queue")).text
    assert first.count("data-order-id=") == 50
    assert numbers[0] in first
    assert numbers[50] not in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = (await browser.get("/console/queue", params={"page": "2"})).text
    assert second.count("data-order-id=") == 2
    assert numbers[50] in second
    assert numbers[51] in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    assert "Orders 51 to 52" in second
    # Not a page number: the first page; past the end: the last one.
    assert numbers[0] in (await browser.get("/console/queue", params={"page": "x²"})).text
    assert numbers[51] in (await browser.get("/console/queue", params={"page": "99"})).text
