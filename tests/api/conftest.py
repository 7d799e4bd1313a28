"""Fixtures of the console tests: browsers with their own cookie jars over the in-process app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest


@pytest.fixture
async def browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar over the same in-process app."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as own:
        yield own


@pytest.fixture
async def second_browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Another person at another desk: a second cookie jar."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as own:
        yield own
