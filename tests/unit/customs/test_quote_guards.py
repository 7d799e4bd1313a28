"""The quote routes each name one permission: WRITE to create a quote, READ to read one."""

from __future__ import annotations

import pytest

from customs.controllers import LandedCostQuoteController
from tenants.guards import required_permission
from tenants.roles import Permission

pytestmark = pytest.mark.unit


def test_creating_and_reading_a_quote_each_require_one_permission() -> None:
    handlers = LandedCostQuoteController(owner=None).get_route_handlers()  # type: ignore[arg-type]
    for handler in handlers:
        handler.resolve_opts()  # done at registration in an app; here there is no app
    found = {handler.handler_name: required_permission(handler.opt) for handler in handlers}
    assert found == {"create": Permission.WRITE, "get": Permission.READ}
    assert all(not handler.resolve_guards() for handler in handlers)
