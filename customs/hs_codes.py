"""The HS nomenclature in the database: import (as the owner, from the CLI), look up, search.

The parsers live in :mod:`customs.nomenclature`; this module stores their rows. A nomenclature is
named (``HS2022``, ``UK``, ``US``); an import replaces that nomenclature's rows in one transaction.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from customs.nomenclature import HsRow
from hub.core.database import fetch


class HsCodeRead(msgspec.Struct, kw_only=True):
    nomenclature: str
    code: str
    description: str
    level: int
    parent: str | None
    section: str | None
    source: str


async def import_rows(owner_url: str, nomenclature: str, rows: list[HsRow]) -> int:
    """Replace ``nomenclature``'s rows with ``rows`` (as the schema owner); returns how many."""
    connection = await asyncpg.connect(owner_url)
    try:
        async with connection.transaction():
            await connection.execute("DELETE FROM hs_codes WHERE nomenclature = $1", nomenclature)
            await connection.executemany(
                "INSERT INTO hs_codes (nomenclature, code, description, level, parent, section, source, rates) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
                [
                    (
                        nomenclature,
                        r.code,
                        r.description,
                        r.level,
                        r.parent,
                        r.section,
                        r.source,
                        msgspec.json.encode(r.rates).decode(),
                    )
                    for r in rows
                ],
            )
    finally:
        await connection.close()
    return len(rows)


def _read(row: dict[str, Any]) -> HsCodeRead:
    return msgspec.convert({k: v for k, v in row.items() if k in HsCodeRead.__struct_fields__}, HsCodeRead)


async def loaded() -> bool:
    rows = await fetch("SELECT EXISTS (SELECT 1 FROM hs_codes) AS loaded")
    return bool(rows[0]["loaded"])


async def unknown_subheadings(codes: list[str]) -> set[str]:
    """Of ``codes`` (6 to 10 digits), those whose 6-digit subheading no loaded nomenclature knows.

    Empty when no nomenclature is loaded: nothing can be said then, and nothing is claimed.
    """
    wanted = sorted({code[:6] for code in codes if code})
    if not wanted:
        return set()
    rows = await fetch(
        "SELECT w.code, EXISTS (SELECT 1 FROM hs_codes h WHERE h.code = w.code) AS known, "
        "EXISTS (SELECT 1 FROM hs_codes) AS loaded FROM unnest({}::text[]) AS w(code)",
        wanted,
    )
    if not rows or not rows[0]["loaded"]:
        return set()
    unknown = {row["code"] for row in rows if not row["known"]}
    return {code for code in codes if code[:6] in unknown}


async def lookup(code: str) -> list[HsCodeRead]:
    """The code in every loaded nomenclature, with its ancestors (chapter, heading) first."""
    rows = await fetch(
        "SELECT * FROM hs_codes WHERE code = ANY({}) ORDER BY nomenclature, level",
        [code[:n] for n in (2, 4, 6, 8, 10) if len(code) >= n],
    )
    return [_read(row) for row in rows]


async def search(text: str, limit: int) -> list[HsCodeRead]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await fetch(
        "SELECT * FROM hs_codes WHERE description ILIKE {} OR code LIKE {} ORDER BY code, nomenclature LIMIT {}",
        pattern,
        text.strip() + "%",
        limit,
    )
    return [_read(row) for row in rows]
