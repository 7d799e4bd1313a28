"""The quote routes run one guard each: WRITE alone guards creating a quote because every role that
may write may read (Litestar copies the route handler for each guard, on every request)."""

from __future__ import annotations

import pytest

from customs.controllers import LandedCostQuoteController
from tenants.roles import GRANTS, Permission

pytestmark = pytest.mark.unit


def test_every_role_that_may_write_may_read() -> None:
    writers = [role for role, grants in GRANTS.items() if Permission.WRITE in grants]
    assert writers
    assert all(Permission.READ in GRANTS[role] for role in writers)


def test_creating_and_reading_a_quote_each_run_one_guard() -> None:
    names = {
        handler.handler_name: [guard.__name__ for guard in handler.resolve_guards()]
        for handler in LandedCostQuoteController(owner=None).get_route_handlers()  # type: ignore[arg-type]
    }
    assert names == {"create": ["requires_write"], "get": ["requires_read"]}
