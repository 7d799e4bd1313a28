"""What an importer of an official tariff schedule produces, whatever the file's format.

An importer is a pure function ``parse(data: bytes, *, file_name: str) -> ParsedSchedule``: no I/O,
no clock. It keeps each measure's duty expression as published (``expression``) and says where in
the file it came from (``row``), so the per-row report and a quote's explanation can name both. A
file that cannot be read as its format raises :class:`ScheduleFileError` naming the row and field;
a row that is readable but carries nothing a quote can use is reported in ``skipped``, not lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

__all__ = [
    "MEASURE_TYPES",
    "SOURCES",
    "MeasureType",
    "ParsedSchedule",
    "ScheduleFileError",
    "ScheduleMeasure",
    "SkippedRow",
    "Source",
]

Source = Literal["uk-trade-tariff", "us-hts", "eu-taric"]
SOURCES: tuple[Source, ...] = ("uk-trade-tariff", "us-hts", "eu-taric")

# third_country: the MFN / "ERGA OMNES" / HTS General duty; preferential: a lower rate for origins
# that claim it (an FTA or GSP); column2: the US Column 2 rate (General Note 3(b) countries);
# additional: a duty added on top of whichever base applies (US Section 301, anti-dumping).
MeasureType = Literal["third_country", "preferential", "column2", "additional"]
MEASURE_TYPES: tuple[MeasureType, ...] = ("third_country", "preferential", "column2", "additional")


class ScheduleFileError(ValueError):
    """The file is not what its format says: ``row`` (1-based line or item) and ``field`` are named."""

    def __init__(self, row: int | None, field: str, message: str) -> None:
        self.row = row
        self.field = field
        self.message = message
        where = f"row {row}, " if row is not None else ""
        super().__init__(f"{where}{field}: {message}")


class ScheduleMeasure(msgspec.Struct, frozen=True, kw_only=True):
    """One duty measure on one code of the schedule.

    ``code`` is digits only, 2 to 10 long, at the level the schedule attaches the measure (a measure
    on a heading applies to every code under it). ``origin_group`` is the schedule's own name for
    the origins (``1011`` ERGA OMNES, ``1013`` EU, ``CA``, the HTS program ``S``); ``origins`` the
    ISO 3166-1 alpha-2 countries it covers, ``None`` for every origin. ``excluded_origins`` are
    left out of the group. ``valid_from`` / ``valid_to`` (exclusive) are the measure's own dates;
    ``None`` means the schedule's.
    """

    code: str
    measure_type: MeasureType
    expression: str
    origin_group: str = ""
    origins: tuple[str, ...] | None = None
    excluded_origins: tuple[str, ...] = ()
    program: str | None = None  # "CUSMA", "UK-Japan CEPA", "Section 301 (9903.88.03)"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    row: int = 0  # where in the file (1-based line, or item index), for reports and explanations
    note: str | None = None


class SkippedRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row that was read but not loaded, and why (the per-row report)."""

    row: int
    code: str | None
    field: str
    reason: str


class ParsedSchedule(msgspec.Struct, kw_only=True):
    """A whole schedule as read from one file."""

    source: Source
    destination: str  # "GB", "US", or "EU" (the customs union's duty key)
    revision: str  # the file's own revision / edition label ("2026 Basic Edition Revision 3")
    valid_from: dt.date  # when the schedule's rates apply from
    measures: list[ScheduleMeasure]
    descriptions: dict[str, str] = msgspec.field(default_factory=dict)  # code -> goods description
    skipped: list[SkippedRow] = msgspec.field(default_factory=list)
    rows_read: int = 0
    publisher: str = ""  # "HM Revenue & Customs / Department for Business and Trade", "USITC", ...
