"""SDR (IMF Special Drawing Right) rates, kept as data with their date and source.

The UPU sets the CN22 ceiling at 300 SDR: above it a postal item needs a CN23. The rates live in
``customs/documents/data/sdr_rates.json`` as *currency units per SDR*; changing a rate is a data
edit (with a new date and source), never a code edit. Callers may load another file (a refreshed
table from the database) and pass it to :func:`customs.documents.preflight.preflight`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Final

import msgspec

__all__ = ["CN22_LIMIT_SDR", "DEFAULT_SDR_RATES_PATH", "SdrRates", "load_sdr_rates"]

CN22_LIMIT_SDR: Final = Decimal(300)
"""UPU Convention Regulations: a CN22 may be used up to 300 SDR of contents, a CN23 above."""

DEFAULT_SDR_RATES_PATH: Final = Path(__file__).with_name("data") / "sdr_rates.json"


class SdrRates(msgspec.Struct, frozen=True, kw_only=True):
    """A dated table of currency units per one SDR."""

    date: dt.date
    source: str
    units_per_sdr: dict[str, Decimal]
    verified: bool = False
    note: str = ""

    def to_sdr(self, amount: Decimal, currency: str) -> Decimal | None:
        """``amount`` of ``currency`` in SDR, or ``None`` when the table has no rate for it."""
        rate = self.units_per_sdr.get(currency.upper())
        if rate is None or rate <= 0:
            return None
        return amount / rate

    def convert(self, amount: Decimal, from_currency: str, to_currency: str) -> Decimal | None:
        """Cross-convert through the SDR (an estimate; customs use their own official rates)."""
        if from_currency.upper() == to_currency.upper():
            return amount
        sdr = self.to_sdr(amount, from_currency)
        target = self.units_per_sdr.get(to_currency.upper())
        if sdr is None or target is None:
            return None
        return sdr * target


@lru_cache(maxsize=8)
def load_sdr_rates(path: Path = DEFAULT_SDR_RATES_PATH) -> SdrRates:
    """Read an SDR table (cached per path).

    Raises:
        OSError: the file cannot be read.
        msgspec.ValidationError: the file does not have the expected shape.
    """
    return msgspec.json.decode(path.read_bytes(), type=SdrRates)
