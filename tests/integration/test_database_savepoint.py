"""``hub.core.database.savepoint``: a block's writes undone when it raises, the transaction going on."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import pytest

from hub.core.database import fetch, savepoint, tenant_tx
from hub.core.ids import new_id
from tests.conftest import TenantHandle

pytestmark = pytest.mark.integration


class Refused(Exception):
    pass


async def _customer(tenant: TenantHandle, code: str) -> None:
    await fetch(
        "INSERT INTO customers (tenant_id, id, code, name) VALUES ({}, {}, {}, {})", tenant.id, new_id(), code, code
    )


async def _codes(tenant: TenantHandle) -> list[str]:
    rows = await fetch("SELECT code FROM customers WHERE tenant_id = {} ORDER BY code", tenant.id)
    return [row["code"] for row in rows]


async def _write_then_refuse(tenant: TenantHandle) -> None:
    async with savepoint("sp_test"):
        await _customer(tenant, "SP-UNDONE")
        raise Refused


async def test_a_failed_block_is_undone_and_the_transaction_commits_the_rest(tenant: TenantHandle) -> None:
    async with tenant_tx(tenant.id):
        await _customer(tenant, "SP-BEFORE")
        with pytest.raises(Refused):
            await _write_then_refuse(tenant)
        async with savepoint("sp_test"):
            await _customer(tenant, "SP-KEPT")
        await _customer(tenant, "SP-AFTER")
    async with tenant_tx(tenant.id):
        assert [c for c in await _codes(tenant) if c.startswith("SP-")] == ["SP-AFTER", "SP-BEFORE", "SP-KEPT"]


async def test_a_savepoint_needs_a_transaction_and_a_plain_name(tenant: TenantHandle) -> None:
    del tenant
    with pytest.raises(RuntimeError, match="needs a transaction"):
        await _enter(savepoint("sp_test"))
    with pytest.raises(ValueError, match="not a savepoint name"):
        await _enter(savepoint("x; DROP TABLE orders"))


async def _enter(block: AbstractAsyncContextManager[None]) -> None:
    async with block:
        pass
