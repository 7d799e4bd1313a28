"""Webhook signature schemes: the hub's own, EasyPost's (NFKD secret) and AfterShip's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

import pytest
from _carrier_testkit import fixture_bytes

from carriers.aftership import mapper as aftership
from carriers.easypost import mapper as easypost
from carriers.signatures import parse_hub_signature, sign_hub, verify_hub

BODY = b'{"id":"evt_1","type":"tracking.updated"}'
NOW = 1_772_536_513


# --- Hub-Signature --------------------------------------------------------------------------


def test_hub_signature_matches_an_independent_hmac() -> None:
    header = sign_hub("whsec_test", BODY, timestamp=NOW)
    expected = hmac.new(b"whsec_test", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    assert verify_hub(header, BODY, "whsec_test", now=NOW)


def test_hub_signature_tolerance_is_five_minutes_each_way() -> None:
    header = sign_hub("s", BODY, timestamp=NOW)
    assert verify_hub(header, BODY, "s", now=NOW + 300)
    assert verify_hub(header, BODY, "s", now=NOW - 300)
    assert not verify_hub(header, BODY, "s", now=NOW + 301)
    assert not verify_hub(header, BODY, "s", now=NOW - 301)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"t={NOW}",
        "v1=abcdef",
        f"t=notanumber,v1={'0' * 64}",
        f"t={NOW},v1={'0' * 64}",
    ],
)
def test_hub_signature_missing_malformed_or_forged(header: str | None) -> None:
    assert not verify_hub(header, BODY, "s", now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        f"t={NOW},v1=\u00e9",  # a Latin-1 byte of the raw header: str compare_digest refuses non-ASCII
        f"t={NOW},v1={'0' * 63}\u00e9",
        "t=\u00b2,v1=00",  # a superscript two is a digit to str.isdigit, not to int()
        f"t={NOW}\u0661,v1=00",  # an Arabic-Indic digit: int() would read it, no sender writes it
    ],
)
def test_hub_signature_with_non_ascii_parts_is_refused_not_raised(header: str) -> None:
    assert parse_hub_signature(header) is None
    assert not verify_hub(header, BODY, "s", now=NOW)


def test_hub_signature_detects_a_tampered_body_timestamp_or_secret() -> None:
    header = sign_hub("s", BODY, timestamp=NOW)
    assert not verify_hub(header, BODY + b" ", "s", now=NOW)
    assert not verify_hub(header, BODY, "other", now=NOW)
    forged_t = header.replace(f"t={NOW}", f"t={NOW + 1}")
    assert not verify_hub(forged_t, BODY, "s", now=NOW)


def test_hub_signature_rotation_sends_and_accepts_two_secrets() -> None:
    header = sign_hub(["old", "new"], BODY, timestamp=NOW)
    parsed = parse_hub_signature(header)
    assert parsed is not None
    assert len(parsed[1]) == 2
    assert verify_hub(header, BODY, "old", now=NOW)
    assert verify_hub(header, BODY, "new", now=NOW)
    assert verify_hub(sign_hub("new", BODY, timestamp=NOW), BODY, ["old", "new"], now=NOW)
    assert not verify_hub(header, BODY, ["", "third"], now=NOW)


# --- EasyPost -------------------------------------------------------------------------------

# EasyPost's published test vector: official/fixtures/event-body.json (no trailing newline) and
# the webhook secret "sécret" (PEERS.md §3.1).
OFFICIAL_SIGNATURE = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"


def _independent_easypost(secret: str, body: bytes) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def test_easypost_documented_scheme_with_the_official_vector() -> None:
    body = fixture_bytes("easypost", "event_tracker_updated.json")
    assert _independent_easypost("sécret", body) == OFFICIAL_SIGNATURE
    assert easypost.sign_body(body, "sécret") == OFFICIAL_SIGNATURE
    assert easypost.verify_signature({"X-Hmac-Signature": OFFICIAL_SIGNATURE}, body, "sécret")
    # header names are case-insensitive
    assert easypost.verify_signature({"x-hmac-signature": OFFICIAL_SIGNATURE}, body, "sécret")


def test_easypost_secret_is_nfkd_normalised() -> None:
    body = fixture_bytes("easypost", "event_tracker_updated.json")
    composed = unicodedata.normalize("NFC", "sécret")  # é as one code point, U+00E9
    decomposed = unicodedata.normalize("NFKD", "sécret")  # e + U+0301
    assert composed != decomposed
    naive = "hmac-sha256-hex=" + hmac.new(composed.encode(), body, hashlib.sha256).hexdigest()
    assert naive != OFFICIAL_SIGNATURE  # without NFKD the signature would not match
    assert easypost.verify_signature({"X-Hmac-Signature": OFFICIAL_SIGNATURE}, body, composed)
    assert easypost.verify_signature({"X-Hmac-Signature": OFFICIAL_SIGNATURE}, body, decomposed)
    # compatibility characters fold too: full-width letters sign like ASCII ones
    wide = "ｓｅｃｒｅｔ"
    assert easypost.sign_body(body, wide) == easypost.sign_body(body, "secret")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hmac-Signature": ""},
        {"X-Hmac-Signature": OFFICIAL_SIGNATURE.removeprefix("hmac-sha256-hex=")},
        {"X-Hmac-Signature": "hmac-sha256-hex=" + "0" * 64},
        {"X-Hmac-Signature": OFFICIAL_SIGNATURE[:-1] + "c"},
    ],
)
def test_easypost_missing_or_forged_signatures(headers: dict[str, str]) -> None:
    body = fixture_bytes("easypost", "event_tracker_updated.json")
    assert not easypost.verify_signature(headers, body, "sécret")


def test_easypost_rejects_tampered_body_and_wrong_or_empty_secret() -> None:
    body = fixture_bytes("easypost", "event_tracker_updated.json")
    headers = {"X-Hmac-Signature": OFFICIAL_SIGNATURE}
    assert not easypost.verify_signature(headers, body + b"\n", "sécret")
    assert not easypost.verify_signature(headers, body, "secret")
    assert not easypost.verify_signature(headers, body, "")


# --- AfterShip ------------------------------------------------------------------------------


def test_aftership_scheme_is_base64_hmac_of_the_raw_body() -> None:
    body = fixture_bytes("aftership", "webhook_tracking_update.json")
    secret = "as_whsec_3f9a"
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    assert aftership.sign_body(body, secret) == expected
    assert aftership.verify_signature({"aftership-hmac-sha256": expected}, body, secret)
    assert aftership.verify_signature({"Aftership-Hmac-Sha256": expected}, body, secret)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"aftership-hmac-sha256": ""},
        {"aftership-hmac-sha256": base64.b64encode(b"\x00" * 32).decode()},
        # the hex form of the right digest is not the documented base64 form
        {"aftership-hmac-sha256": "HEX"},
        # Returns/Warranty products use another header; it does not count here
        {"as-signature-hmac-sha256": "SIG"},
    ],
)
def test_aftership_missing_or_forged_signatures(headers: dict[str, str]) -> None:
    body = fixture_bytes("aftership", "webhook_tracking_update.json")
    secret = "as_whsec_3f9a"
    digest = hmac.new(secret.encode(), body, hashlib.sha256)
    resolved = {
        k: digest.hexdigest() if v == "HEX" else (aftership.sign_body(body, secret) if v == "SIG" else v)
        for k, v in headers.items()
    }
    assert not aftership.verify_signature(resolved, body, secret)
    assert not aftership.verify_signature({"aftership-hmac-sha256": aftership.sign_body(body, secret)}, body, "")
