"""Bulk import: valid orders in, every bad row reported with row, column and reason, nothing half-imported."""

from __future__ import annotations

import io
import zipfile

import httpx
import openpyxl

from hub.orders import imports
from tests.api.test_orders import _catalog
from tests.conftest import TenantHandle

HEADER = (
    "external_ref,customer_code,customer_name,customer_email,customer_phone,ship_to_name,line1,city,postal_code,"
    "country,currency,incoterm,sku,name,quantity,unit_price,hs_code,origin_country,weight_kg\n"
)
GOOD = (
    "IMP-1,C-1,Anna,a@example.de,,Anna,Hauptstr. 5,Berlin,10115,DE,EUR,DDP,TS-RED-M,,2,19.90,,,\n"
    "IMP-1,C-1,Anna,a@example.de,,Anna,Hauptstr. 5,Berlin,10115,DE,EUR,DDP,,陶瓷杯 mug,1,8.50,691200,CN,0.4\n"
)
# IMP-2's second row has a bad quantity: the whole order must be refused, its good first row too.
BAD = (
    "IMP-2,C-2,Bob,b@example.fr,,Bob,1 rue X,Paris,75001,FR,EUR,DAP,TS-RED-M,,1,19.90,,,\n"
    "IMP-2,C-2,Bob,b@example.fr,,Bob,1 rue X,Paris,75001,FR,EUR,DAP,TS-RED-M,,two,19.90,,,\n"
    "IMP-3,C-3,Cleo,c@example.es,,Cleo,Calle 1,Madrid,28001,ZZ,EUR,DAP,TS-RED-M,,1,19.90,,,\n"
)


def _xlsx(rows: list[list[str]]) -> bytes:
    """A workbook whose first sheet holds ``rows`` as written (formulas kept without a computed value)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _upload(client: httpx.AsyncClient, tenant: TenantHandle, name: str, content: bytes) -> httpx.Response:
    return await client.post("/v1/orders/imports", files={"data": (name, content)}, headers=tenant.headers())


async def test_csv_import_reports_rows_and_never_half_imports(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    response = await _upload(client, tenant, "orders.csv", (HEADER + GOOD + BAD).encode())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["channel"] == "csv"
    assert report["rows"] == 5
    assert [o["external_ref"] for o in report["created"]] == ["IMP-1"]
    assert report["created"][0]["rows"] == [2, 3]
    rejected = {(r["row"], r["column"]) for r in report["rejected"]}
    assert (5, "quantity") in rejected
    assert (6, "country") in rejected
    listing = (await client.get("/v1/orders", headers=tenant.headers())).json()["items"]
    assert [o["external_ref"] for o in listing] == ["IMP-1"]
    assert listing[0]["channel"] == "csv"
    # The same file again: IMP-1 is a duplicate, reported, not imported twice.
    again = (await _upload(client, tenant, "orders.csv", (HEADER + GOOD).encode())).json()
    assert again["created"] == []
    assert again["rejected"][0]["external_ref"] == "IMP-1"


async def test_xlsx_import_uses_the_first_sheet(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    await _catalog(client, tenant)
    content = _xlsx([line.split(",") for line in (HEADER + GOOD).strip().split("\n")])
    report = (await _upload(client, tenant, "orders.xlsx", content)).json()
    assert report["channel"] == "xlsx"
    assert [o["external_ref"] for o in report["created"]] == ["IMP-1"]


async def test_malformed_files_get_a_precise_problem(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    for name, content, needle in [
        ("x.csv", b"", "empty"),
        ("x.csv", b"external_ref,quantity\nA,1\n", "missing required columns"),
        ("x.xlsx", b"PK\x03\x04 not really a zip", "XLSX"),
        ("x.csv", HEADER.encode(), "no rows"),
    ]:
        response = await _upload(client, tenant, name, content)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["errors"][0]["field"] == "file"
        assert needle in response.json()["errors"][0]["message"]


async def test_csv_as_spreadsheet_programs_write_it(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    """Excel in much of Europe separates with semicolons; headers get padded; files end in empty rows."""
    await _catalog(client, tenant)
    semicolons = (HEADER + GOOD.replace("IMP-1", "SEMI-1")).replace(",", ";")
    report = (await _upload(client, tenant, "orders.csv", semicolons.encode())).json()
    assert [o["external_ref"] for o in report["created"]] == ["SEMI-1"]
    assert report["rejected"] == []

    padded = HEADER.replace(",", ", ") + GOOD.replace("IMP-1", "PAD-1")
    report = (await _upload(client, tenant, "orders.csv", padded.encode())).json()
    assert [o["external_ref"] for o in report["created"]] == ["PAD-1"]

    # Blank rows (with or without separators) are no rows: not rejected, not counted, and the rows
    # after a blank one keep the row number a spreadsheet shows.
    blank = "," * HEADER.count(",") + "\n"
    bad_after_blank = BAD.splitlines(keepends=True)[2].replace("IMP-3", "TAIL-2")
    tail = HEADER + GOOD.replace("IMP-1", "TAIL-1") + blank + "\n" + bad_after_blank + blank + blank
    report = (await _upload(client, tenant, "orders.csv", tail.encode())).json()
    assert [o["external_ref"] for o in report["created"]] == ["TAIL-1"]
    assert report["rows"] == 3
    assert [(r["row"], r["column"]) for r in report["rejected"]] == [(6, "country")]


async def test_xlsx_rows_keep_their_sheet_row_numbers_past_a_blank_row(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    content = _xlsx(
        [
            HEADER.strip().split(","),
            GOOD.replace("IMP-1", "XB-1").splitlines()[0].split(","),
            [],
            BAD.replace("IMP-3", "XB-2").splitlines()[2].split(","),
        ]
    )
    report = (await _upload(client, tenant, "orders.xlsx", content)).json()
    assert [o["external_ref"] for o in report["created"]] == ["XB-1"]
    assert [(r["row"], r["column"]) for r in report["rejected"]] == [(4, "country")]


async def test_a_value_of_the_wrong_shape_is_reported_under_its_own_column(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    await _catalog(client, tenant)
    rows = (
        "SH-1,C-1,Anna,a@example.de,,Anna,Hauptstr. 5,Berlin,10115,DE,EUR,ddp,TS-RED-M,,2,19.90,,,\n"
        "SH-2,C-1,Anna,a@example.de,,Anna,Hauptstr. 5,Berlin,10115,DE,EUR,DDP,TS-RED-M,,2,19.90,,,\n"
        "SH-2,C-1,Anna,a@example.de,,Anna,Hauptstr. 5,Berlin,10115,DE,EUR,DDP,,Mug,1,8.50,691200,CN,heavy\n"
    )
    report = (await _upload(client, tenant, "orders.csv", (HEADER + rows).encode())).json()
    assert report["created"] == []
    assert [(r["row"], r["column"], r["external_ref"]) for r in report["rejected"]] == [
        (2, "incoterm", "SH-1"),
        (4, "weight_kg", "SH-2"),
    ]
    assert "`" not in report["rejected"][0]["reason"]


async def test_an_xlsx_formula_without_a_saved_value_is_named_as_such(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A workbook written by a program keeps formulas without their value; "required" sent clerks hunting."""
    await _catalog(client, tenant)
    header = HEADER.strip().split(",")
    good, _ = GOOD.splitlines()
    priced = good.replace("IMP-1", "XF-2").split(",")
    priced[header.index("unit_price")] = "=9.95*2"
    referenced = good.split(",")
    referenced[header.index("external_ref")] = '="XF-"&3'
    spaces = good.replace("IMP-1", "XF-4").split(",")
    spaces[header.index("city")] = "  "
    content = _xlsx([header, good.replace("IMP-1", "XF-1").split(","), priced, referenced, spaces])
    report = (await _upload(client, tenant, "orders.xlsx", content)).json()
    assert [o["external_ref"] for o in report["created"]] == ["XF-1"]
    rejected = [(r["row"], r["column"], r["reason"]) for r in report["rejected"]]
    unsaved = "a formula with no saved value: open and save the file in a spreadsheet program, or paste values"
    assert sorted(rejected) == [(3, "unit_price", unsaved), (4, "external_ref", unsaved), (5, "city", "required")]


async def test_an_xlsx_that_inflates_past_the_limit_is_refused_unread(
    client: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    """A zip bomb: a few hundred kilobytes that inflate to more than the hub reads for an import."""
    plain = io.BytesIO(_xlsx([line.split(",") for line in (HEADER + GOOD).strip().split("\n")]))
    bomb = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data += b" " * (imports.MAX_XLSX_INFLATED_BYTES + 1)  # whitespace after the root is still XML
            target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    assert len(bomb.getvalue()) < 1024 * 1024
    response = await _upload(client, tenant, "orders.xlsx", bomb.getvalue())
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file"
    assert "inflate" in response.json()["errors"][0]["message"]


async def test_an_xlsx_with_too_many_rows_is_refused(client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    header, row = (HEADER + GOOD).strip().split("\n")[:2]
    sheet.append(header.split(","))
    sheet.append([])  # a blank row is no row: it does not count towards the limit
    for _ in range(imports.MAX_ROWS + 1):
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await _upload(client, tenant, "orders.xlsx", buffer.getvalue())
    assert response.status_code == 422, response.text
    assert f"at most {imports.MAX_ROWS} rows" in response.json()["errors"][0]["message"]
