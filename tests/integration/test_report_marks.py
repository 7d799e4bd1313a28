"""Dirty-day marks (migration 2026-12-07T13:00): a transaction marks each (tenant, report, day) once.

Intake's group commit runs many intakes in one transaction. The first statement's marks cover the
later ones (all become visible at the one commit); a rolled-back savepoint takes its marks back and
with them what the transaction remembered, so the next write marks its day again.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec
import pytest

from hub.core.database import fetch, tenant_tx
from hub.orders import intake
from hub.orders.schemas import OrderCreate
from tenants import service as tenant_service
from tenants.roles import Role
from tenants.schemas import Principal
from tests.conftest import TenantHandle

pytestmark = pytest.mark.integration

EXPECTED = {"orders", "landed-cost", "reviews"}


def _order() -> OrderCreate:
    body: dict[str, Any] = {
        "channel": "api",
        "external_ref": f"MARK-{uuid.uuid4().hex[:8]}",
        "customer": {"code": "C-1", "name": "Anna Schmidt"},
        "ship_to": {"name": "Anna", "line1": "Hauptstr. 5", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "currency": "EUR",
        "lines": [{"name": "Gift wrap", "quantity": 1, "unit_price": {"amount": "2.50", "currency": "EUR"}}],
    }
    return msgspec.convert(body, OrderCreate)


async def _marks(tenant: TenantHandle) -> list[str]:
    async with tenant_tx(tenant.id):
        rows = await fetch("SELECT report FROM report_dirty_days WHERE tenant_id = {} ORDER BY mark_id", tenant.id)
    return [row["report"] for row in rows]


@pytest.fixture
async def clerk(client: httpx.AsyncClient, tenant: TenantHandle) -> Principal:
    """The tenant's clerk; any mark the tenant's set-up left is cleared first, so each test counts its own."""
    principal = await tenant_service.authenticate(tenant.keys[Role.CLERK])
    assert principal is not None
    async with tenant_tx(tenant.id):
        await fetch("DELETE FROM report_dirty_days WHERE tenant_id = {}", tenant.id)
    return principal


async def test_orders_in_one_transaction_leave_one_mark_per_report(clerk: Principal, tenant: TenantHandle) -> None:
    async with tenant_tx(tenant.id):
        for _ in range(3):
            await intake.create_order(clerk, _order())
    marks = await _marks(tenant)
    assert sorted(marks) == sorted(EXPECTED)  # three orders' statements, each report's day once


async def test_each_transaction_marks_its_own_days(clerk: Principal, tenant: TenantHandle) -> None:
    await intake.create_order(clerk, _order())
    await intake.create_order(clerk, _order())
    # The setting ended with the first transaction: the second wrote marks of its own, which a
    # refresh that took the first ones (after the first commit) still finds.
    assert sorted(await _marks(tenant)) == sorted([*EXPECTED, *EXPECTED])


async def test_a_rolled_back_savepoint_takes_its_marks_back_and_the_next_write_marks_again(
    clerk: Principal, tenant: TenantHandle
) -> None:
    async with tenant_tx(tenant.id):
        await fetch("SAVEPOINT before_order")
        await intake.create_order(clerk, _order())
        await fetch("ROLLBACK TO SAVEPOINT before_order")
        await intake.create_order(clerk, _order())
    assert sorted(await _marks(tenant)) == sorted(EXPECTED)


async def test_marks_do_not_depend_on_the_sessions_date_style(clerk: Principal, tenant: TenantHandle) -> None:
    async with tenant_tx(tenant.id):
        await fetch("SET LOCAL DateStyle = 'SQL, DMY'")
        await intake.create_order(clerk, _order())
        days = await fetch("SELECT DISTINCT day::text AS day FROM report_dirty_days WHERE tenant_id = {}", tenant.id)
        now = await fetch("SELECT (now() AT TIME ZONE 'UTC')::date::text AS day")
    assert [row["day"] for row in days] == [now[0]["day"]]
