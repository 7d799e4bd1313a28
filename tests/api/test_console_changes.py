"""Filing change requests from the clerk console's order page: every kind ends up pending exactly as
the API files it, refused input comes back next to its field with what was typed, roles and CSRF are
enforced, the page reads in Chinese, and the filer cannot decide their own request."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tenants.roles import Role
from tests.api.test_console import csrf_of, enter_order, make_user, sign_in
from tests.conftest import TenantHandle

FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')
FILED = "Change requested; another person approves or rejects it."
NEW_ENGLISH = (
    "Request a change",
    "Each request needs a reason",
    "Request new delivery date",
    "New delivery date",
    "Request new quantities",
    "New quantity",
    "Request new address",
    "Company",
    "Request cancellation",
    "The order is cancelled when another person approves the request.",
)


async def file(browser: httpx.AsyncClient, order_id: str, kind: str, **fields: str) -> httpx.Response:
    """Open the order page and post its ``kind`` form with ``fields`` (and the page's CSRF token and form id)."""
    page = await browser.get(f"/console/orders/{order_id}")
    assert page.status_code == 200, page.text
    form_id = FORM_ID.search(page.text)
    data: dict[str, Any] = {"csrf_token": csrf_of(page.text), "form_id": form_id.group(1) if form_id else "", **fields}
    return await browser.post(f"/console/orders/{order_id}/change-requests/{kind}", data=data)


async def filed(client: httpx.AsyncClient, tenant: TenantHandle, order_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/v1/orders/{order_id}/change-requests", headers=tenant.headers())
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


ADDRESS = {
    "ship_to.name": "Li Wei",
    "ship_to.line1": "12 rue de Rivoli",
    "ship_to.postal_code": "75004",
    "ship_to.city": "Paris",
    "ship_to.country": "fr",
}


async def test_each_kind_filed_in_the_console_is_pending_through_the_api(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))
    order_id = await enter_order(browser)
    page = await browser.get(f"/console/orders/{order_id}")
    for kind in ("delivery_date", "quantity", "address", "cancel"):
        assert f'data-testid="request-{kind}"' in page.text
    assert 'value="Hauptstr. 5"' in page.text  # the address form starts from the current address
    assert 'name="quantity.1" value="2"' in page.text  # and the quantities from the current ones

    answers = [
        await file(browser, order_id, "delivery_date", reason="customer is away", requested_delivery_date="2027-03-01"),
        await file(browser, order_id, "quantity", reason="customer wants five", **{"quantity.1": "5"}),
        await file(browser, order_id, "address", reason="moved to Paris", **ADDRESS),
        await file(browser, order_id, "cancel", reason="customer changed their mind"),
    ]
    for answer in answers:
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/console/orders/{order_id}#change-requests"
    after = await browser.get(answers[-1].headers["location"])
    assert FILED in after.text
    assert after.text.count('<td data-testid="change-request-status">Pending') == 4
    assert "#1 → 5" in after.text  # what each request changes is shown to whoever decides it
    assert "Mar 1, 2027" in after.text  # the new delivery date, in the clerk's format
    assert "Li Wei, 12 rue de Rivoli, 75004, Paris, FR" in after.text

    requests = {r["kind"]: r for r in await filed(client, tenant, order_id)}
    assert set(requests) == {"delivery_date", "quantity", "address", "cancel"}
    assert {r["status"] for r in requests.values()} == {"pending"}
    assert len({r["requested_by"] for r in requests.values()}) == 1
    assert next(iter(requests.values()))["requested_by"].startswith("user:")
    assert requests["delivery_date"]["payload"] == {"requested_delivery_date": "2027-03-01"}
    assert requests["quantity"]["payload"] == {"quantities": {"1": 5}}
    assert requests["address"]["payload"]["ship_to"]["city"] == "Paris"
    assert requests["address"]["payload"]["ship_to"]["country"] == "FR"
    assert requests["cancel"]["reason"] == "customer changed their mind"


async def test_a_double_submitted_form_files_once(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))
    order_id = await enter_order(browser)
    page = await browser.get(f"/console/orders/{order_id}")
    data = {
        "csrf_token": csrf_of(page.text),
        "form_id": FORM_ID.search(page.text).group(1),  # type: ignore[union-attr]
        "reason": "customer is away",
        "requested_delivery_date": "2027-03-01",
    }
    for _ in range(2):
        answer = await browser.post(f"/console/orders/{order_id}/change-requests/delivery_date", data=data)
        assert answer.status_code == 303
    assert len(await filed(client, tenant, order_id)) == 1


async def test_refused_input_comes_back_next_to_its_field_with_what_was_typed(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))
    order_id = await enter_order(browser)

    no_reason = await file(browser, order_id, "delivery_date", reason="  ", requested_delivery_date="2027-03-01")
    assert no_reason.status_code == 422
    assert 'data-field="cr.delivery_date.reason">Give a reason.<' in no_reason.text
    assert "The change request was not filed. Check the marked fields." in no_reason.text
    assert 'maxlength="2000"' in no_reason.text
    assert 'value="2027-03-01"' in no_reason.text

    bad_date = await file(
        browser, order_id, "delivery_date", reason="customer is away", requested_delivery_date="2027-02-30"
    )
    assert bad_date.status_code == 422
    assert 'data-field="cr.delivery_date.requested_delivery_date"' in bad_date.text
    assert 'value="2027-02-30"' in bad_date.text
    assert 'value="customer is away"' in bad_date.text
    assert 'data-field="cr.delivery_date.reason"' not in bad_date.text

    fullwidth = await file(
        browser, order_id, "delivery_date", reason="typed in Chinese", requested_delivery_date="２０２７-０３-０１"
    )
    assert fullwidth.status_code == 303  # a full-width date typed with a Chinese input method is a date

    for typed in ("0", "²", "-1", "two"):
        bad_quantity = await file(browser, order_id, "quantity", reason="more", **{"quantity.1": typed})
        assert bad_quantity.status_code == 422, typed
        assert 'data-field="cr.quantity.quantity.1"' in bad_quantity.text
        assert f'name="quantity.1" value="{typed}"' in bad_quantity.text
    too_many = await file(browser, order_id, "quantity", reason="more", **{"quantity.1": "1000001"})
    assert "At most 1000000." in too_many.text
    unchanged = await file(browser, order_id, "quantity", reason="same", **{"quantity.1": "2"})
    assert unchanged.status_code == 422
    assert "Change at least one quantity." in unchanged.text

    bad_country = await file(browser, order_id, "address", reason="moved", **{**ADDRESS, "ship_to.country": "XX"})
    assert bad_country.status_code == 422
    assert 'data-field="cr.address.ship_to.country"' in bad_country.text
    assert 'value="12 rue de Rivoli"' in bad_country.text  # the typed address, not the current one
    assert 'value="XX"' in bad_country.text

    no_cancel_reason = await file(browser, order_id, "cancel", reason="")
    assert no_cancel_reason.status_code == 422
    assert 'data-field="cr.cancel.reason"' in no_cancel_reason.text

    assert [r["kind"] for r in await filed(client, tenant, order_id)] == ["delivery_date"]  # the full-width one


async def test_who_may_not_file_gets_no_forms_and_a_forged_post_is_refused(
    browser: httpx.AsyncClient, second_browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await sign_in(browser, tenant, await make_user(tenant, Role.OWNER))
    order_id = await enter_order(browser)
    for role in (Role.VIEWER, Role.APPROVER):  # the API's permission: write
        async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
            await sign_in(other, tenant, await make_user(tenant, role))
            page = await other.get(f"/console/orders/{order_id}")
            assert page.status_code == 200
            assert "Request a change" not in page.text
            assert 'data-testid="request-' not in page.text
            forged = await file(other, order_id, "cancel", reason="forged")
            assert forged.status_code == 403, role
            assert "Your role does not allow this." in forged.text
    no_csrf = await browser.post(
        f"/console/orders/{order_id}/change-requests/cancel", data={"csrf_token": "x" * 43, "reason": "no token"}
    )
    assert no_csrf.status_code == 403
    unknown = await file(browser, order_id, "colour", reason="blue")
    assert unknown.status_code == 404
    assert await filed(client, tenant, order_id) == []

    # A closed order has nothing to change: no forms, and a post is refused with the reason.
    page = await browser.get(f"/console/orders/{order_id}")
    cancelled = await browser.post(
        f"/console/orders/{order_id}/cancel", data={"csrf_token": csrf_of(page.text), "reason": "entered twice"}
    )
    assert cancelled.status_code == 303
    closed = await browser.get(f"/console/orders/{order_id}")
    assert "Request a change" not in closed.text
    late = await file(browser, order_id, "delivery_date", reason="too late", requested_delivery_date="2027-03-01")
    assert late.status_code == 409
    assert "Not possible in the order&#39;s current status." in late.text
    assert await filed(client, tenant, order_id) == []


async def test_the_chinese_page_shows_no_english_for_the_new_strings(
    browser: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await sign_in(browser, tenant, await make_user(tenant, Role.CLERK))
    order_id = await enter_order(browser)
    await browser.get("/console/lang/zh_Hans")
    page = await browser.get(f"/console/orders/{order_id}")
    assert "申请变更" in page.text
    assert "申请取消订单" in page.text
    for english in NEW_ENGLISH:
        assert english not in page.text, english
    refused = await file(browser, order_id, "delivery_date", reason="", requested_delivery_date="2027-02-30")
    assert refused.status_code == 422
    assert "请填写原因。" in refused.text
    assert "请输入日期，例如 2026-12-24。" in refused.text
    assert "变更申请未提交，请检查标出的字段。" in refused.text
    assert "Give a reason." not in refused.text
    assert "The change request was not filed." not in refused.text
    done = await file(browser, order_id, "cancel", reason="客户取消")
    after = await browser.get(done.headers["location"])
    assert "变更申请已提交，须由他人批准或驳回。" in after.text
    assert FILED not in after.text


async def test_the_filer_cannot_decide_their_own_request_another_person_can(
    browser: httpx.AsyncClient, second_browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await sign_in(browser, tenant, await make_user(tenant, Role.OWNER))  # may file and approve
    order_id = await enter_order(browser)
    answer = await file(
        browser, order_id, "delivery_date", reason="customer is away", requested_delivery_date="2027-03-01"
    )
    assert answer.status_code == 303
    (request,) = await filed(client, tenant, order_id)
    page = await browser.get(f"/console/orders/{order_id}")
    assert 'data-testid="own-change-request"' in page.text
    own = await browser.post(
        f"/console/change-requests/{request['id']}/approve",
        data={"csrf_token": csrf_of(page.text), "order_id": order_id},
    )
    assert own.status_code == 403
    assert "You requested this change; another person must decide it (four-eyes rule)." in own.text
    assert (await filed(client, tenant, order_id))[0]["status"] == "pending"

    await sign_in(second_browser, tenant, await make_user(tenant, Role.APPROVER))
    page = await second_browser.get(f"/console/orders/{order_id}")
    assert 'data-testid="own-change-request"' not in page.text
    approved = await second_browser.post(
        f"/console/change-requests/{request['id']}/approve",
        data={"csrf_token": csrf_of(page.text), "order_id": order_id},
    )
    assert approved.status_code == 303
    assert (await filed(client, tenant, order_id))[0]["status"] == "applied"
    order = await client.get(f"/v1/orders/{order_id}", headers=tenant.headers())
    assert order.json()["requested_delivery_date"] == "2027-03-01"
