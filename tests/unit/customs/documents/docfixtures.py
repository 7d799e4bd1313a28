"""Helpers for the customs-document tests: a Chinese seller shipping to a consumer in Germany.

A uniquely named module (not conftest) so tests can import it without clashing with other conftests.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pypdf

from customs.documents.snapshot import Address, DocumentLine, DocumentSnapshot, Party, Signatory

LineFactory = Callable[..., DocumentLine]
SnapshotFactory = Callable[..., DocumentSnapshot]


def pdf_text(data: bytes) -> str:
    """All extractable text of a PDF, pages joined."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def build_line(**overrides: Any) -> DocumentLine:
    values: dict[str, Any] = {
        "sku": "BT-EAR-01",
        "description": "蓝牙耳机 无线入耳式",
        "description_en": "Bluetooth in-ear earphones, wireless",
        "hs_code": "85183000",
        "origin_country": "CN",
        "quantity": 2,
        "unit_value": Decimal("19.90"),
        "net_weight_kg": Decimal("0.120"),
        "gross_weight_kg": Decimal("0.200"),
    }
    values.update(overrides)
    return DocumentLine(**values)


def build_snapshot(**overrides: Any) -> DocumentSnapshot:
    values: dict[str, Any] = {
        "order_number": "SO-2026-00042",
        "invoice_number": "INV-2026-0042",
        "invoice_date": dt.date(2026, 11, 27),
        "currency": "EUR",
        "exporter": Party(
            name="深圳市蓝海电子有限公司",
            company="Shenzhen Blue Sea Electronics Co., Ltd.",
            address=Address(line1="南山区科技园路 8 号", city="深圳", postal_code="518057", country="CN"),
            phone="+86 755 1234 5678",
            ioss_number="IM2760000001",
            is_business=True,
        ),
        "importer": Party(
            name="Anna Schmidt",
            address=Address(line1="Hauptstr. 5", city="Berlin", postal_code="10115", country="DE"),
            phone="+49 30 1234567",
            email="a@example.de",
        ),
        "destination_country": "DE",
        "lines": [
            build_line(),
            build_line(
                sku="PB-10K",
                description="移动电源 10000毫安",
                description_en="Power bank 10000 mAh",
                hs_code="85076000",
                quantity=1,
                unit_value=Decimal("25.00"),
                net_weight_kg=Decimal("0.250"),
                gross_weight_kg=Decimal("0.320"),
            ),
        ],
        "incoterm": "DAP",
        "freight": Decimal("8.50"),
        "insurance": Decimal("0.60"),
        "invoice_total": Decimal("73.90"),
        "seller_collects_vat": True,
        "number_of_packages": 1,
        "signatory": Signatory(name="Li Wei", title="Export manager", place="Shenzhen"),
    }
    values.update(overrides)
    return DocumentSnapshot(**values)
