"""The reports' SVG charts: well-formed XML whatever the tenant's names hold, exact figures on the
bars and dots, CLDR formats per locale, an accessible title and description, and a clear empty chart."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from hub.reports.charts import (
    Bar,
    Series,
    ValueFormat,
    bar_chart,
    format_bucket,
    format_value,
    grouped_bar_chart,
    line_chart,
)

pytestmark = pytest.mark.unit

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _marks(svg: str) -> list[tuple[str, str, str]]:
    root = _parse(svg)
    return [
        (el.attrib["data-key"], el.attrib["data-series"], el.attrib["data-value"])
        for el in root.iter()
        if "data-value" in el.attrib
    ]


def _texts(svg: str) -> list[str]:
    return ["".join(el.itertext()) for el in _parse(svg).iter(f"{SVG}text")]


def test_tenant_text_is_escaped_and_the_svg_stays_well_formed() -> None:
    hostile = "<script>alert(\"x\")</script> & 'quoted' \x01\x0b"
    svg = bar_chart(
        "orders.by_channel",
        'Orders by "channel" <all>',
        "desc & more",
        [Bar(key=hostile, label=hostile, value=3), Bar(key="api", label="api", value=1)],
        locale="en",
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "\x01" not in svg
    assert "\x0b" not in svg
    root = _parse(svg)  # raises if an attribute or text broke out
    assert root.find(f"{SVG}title") is not None
    assert root.findtext(f"{SVG}title") == 'Orders by "channel" <all>'
    assert root.findtext(f"{SVG}desc") == "desc & more"
    keys = [key for key, _, _ in _marks(svg)]
    assert keys == ["<script>alert(\"x\")</script> & 'quoted' ", "api"]


def test_values_on_the_attributes_are_the_exact_figures() -> None:
    svg = grouped_bar_chart(
        "landed.DE",
        "Duties",
        "",
        [("DE", "Germany"), ("GB", "United Kingdom")],
        [
            Series(key="duty", label="Duty", values={"DE": Decimal("51.80"), "GB": Decimal("0.00")}),
            Series(key="tax", label="Tax", values={"DE": Decimal("1234567.05"), "GB": Decimal("7")}),
        ],
        locale="en",
        fmt=ValueFormat(kind="currency", currency="EUR"),
        stacked=True,
    )
    assert _marks(svg) == [
        ("DE", "duty", "51.80"),
        ("DE", "tax", "1234567.05"),
        ("GB", "duty", "0.00"),
        ("GB", "tax", "7"),
    ]
    assert "€1,234,618.85" in _texts(svg)  # the stacked total, in CLDR's en format
    rate = bar_chart(
        "rate", "On time", "", [Bar("dhl", "DHL", Decimal("0.9500"))], locale="en", fmt=ValueFormat(kind="percent")
    )
    assert _marks(rate) == [("dhl", "value", "0.9500")]
    assert "95%" in _texts(rate)
    assert "9.5E-1" not in rate


def test_an_empty_or_all_zero_chart_says_there_is_no_data() -> None:
    for svg in (
        bar_chart("x", "Hold reasons", "Why orders stopped", [], locale="en"),
        bar_chart("x", "Hold reasons", "", [Bar("a", "a", 0), Bar("b", "b", Decimal("0.00"))], locale="en"),
        line_chart(
            "x", "Orders", "", [dt.date(2026, 1, 1)], [Series("orders", "Orders", {"2026-01-01": 0})], locale="en"
        ),
        line_chart("x", "Orders", "", [], [], locale="en"),
    ):
        root = _parse(svg)
        assert root.attrib["data-empty"] == "true"
        assert _marks(svg) == []
        assert "No data for this period" in _texts(svg)
        assert root.findtext(f"{SVG}title") in {"Hold reasons", "Orders"}
    chinese = bar_chart("x", "暂停原因", "", [], locale="zh_Hans", empty="此期间没有数据")
    assert _texts(chinese) == ["暂停原因", "此期间没有数据"]  # the visible title, then the notice
    full = bar_chart("x", "Channels", "", [Bar("api", "api", 1)], locale="en")
    assert _parse(full).attrib["data-empty"] == "false"


def test_numbers_money_and_dates_follow_the_locale() -> None:
    assert format_value(12345, ValueFormat(), "en") == "12,345"
    assert format_value(Decimal("1234.5"), ValueFormat(kind="currency", currency="EUR"), "en") == "€1,234.50"
    assert format_value(Decimal("1234.5"), ValueFormat(kind="currency", currency="CNY"), "zh_Hans") == "¥1,234.50"
    assert format_value(Decimal("1234"), ValueFormat(kind="currency", currency="JPY"), "en") == "¥1,234"
    assert format_value(Decimal("0.9567"), ValueFormat(kind="percent"), "en") == "95.7%"
    assert format_value(Decimal("36.5"), ValueFormat(kind="decimal", suffix=" h"), "en") == "36.5 h"
    assert format_bucket(dt.date(2026, 12, 6), "en") == "Dec 6"
    assert format_bucket(dt.date(2026, 12, 6), "zh_Hans") == "12月6日"
    assert format_bucket(dt.date(2026, 12, 6), "zh_Hans", with_year=True) == "2026年12月6日"

    days = [dt.date(2026, 12, 1) + dt.timedelta(days=n) for n in range(3)]
    series = [Series("orders", "订单", {d.isoformat(): n * 1500 for n, d in enumerate(days)})]
    english = _texts(line_chart("orders", "Orders", "", days, series, locale="en"))
    chinese = _texts(line_chart("orders", "订单", "", days, series, locale="zh_Hans"))
    assert "Dec 1" in english
    assert "12月1日" in chinese
    assert "3,000" in english  # a gridline: 0, 1,000, 2,000, 3,000
    assert "Dec 1" not in chinese


def test_a_line_chart_has_a_dot_per_bucket_with_its_date_and_figure() -> None:
    days = [dt.date(2026, 3, 28) + dt.timedelta(days=n) for n in range(4)]
    svg = line_chart(
        "orders.revenue.EUR",
        "Revenue (EUR)",
        "Revenue per day",
        days,
        [Series("revenue:EUR", "EUR", {"2026-03-28": Decimal("10.00"), "2026-03-30": Decimal("2.50")})],
        locale="en",
        fmt=ValueFormat(kind="currency", currency="EUR"),
    )
    assert _marks(svg) == [("2026-03-28", "revenue:EUR", "10.00"), ("2026-03-30", "revenue:EUR", "2.50")]
    root = _parse(svg)
    assert root.attrib["role"] == "img"
    labelled = root.attrib["aria-labelledby"].split()
    assert {el.attrib.get("id") for el in root} >= set(labelled)
    assert "€10.00" in _texts(svg)  # the top gridline


def test_many_buckets_thin_the_axis_labels_but_keep_every_dot() -> None:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(90)]
    svg = line_chart(
        "o", "Orders", "", days, [Series("orders", "Orders", {d.isoformat(): 1 for d in days})], locale="en"
    )
    assert len(_marks(svg)) == 90
    labels = [el for el in _parse(svg).iter(f"{SVG}text") if el.attrib.get("class") == "axis-label"]
    assert 2 <= len(labels) <= 8


def test_long_labels_are_cut_on_the_axis_and_kept_whole_in_the_tooltip() -> None:
    name = "A channel with a very long name indeed, longer than the axis"
    chinese = "一个名字非常非常长的销售渠道名称超过坐标轴"
    svg = bar_chart("c", "Channels", "", [Bar("x", name, 1), Bar("y", chinese, 2)], locale="en")
    labels = [el for el in _parse(svg).iter(f"{SVG}text") if el.attrib.get("class") == "axis-label"]
    shown = [(el.text or "") + "".join(child.tail or "" for child in el) for el in labels]
    assert shown[0].endswith("…")
    assert len(shown[0]) <= 26
    assert shown[1].endswith("…")
    assert len(shown[1]) <= 13  # a Chinese character is as wide as two Latin ones
    assert f"{name} · Channels: 1" in svg  # the bar's tooltip keeps the whole name
