"""Fixtures for the customs-document tests (the data lives in ``docfixtures``)."""

from __future__ import annotations

import pytest
from docfixtures import LineFactory, SnapshotFactory, build_line, build_snapshot

from customs.documents.sdr import SdrRates, load_sdr_rates
from customs.documents.snapshot import DocumentSnapshot


@pytest.fixture
def make_line() -> LineFactory:
    return build_line


@pytest.fixture
def make_snapshot() -> SnapshotFactory:
    return build_snapshot


@pytest.fixture
def snapshot() -> DocumentSnapshot:
    return build_snapshot()


@pytest.fixture(scope="session")
def sdr_rates() -> SdrRates:
    return load_sdr_rates()
