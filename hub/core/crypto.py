"""Secrets encrypted at rest (carrier credentials, webhook secrets): Fernet with a derived key.

The Fernet key is derived from ``ORDERHUB_SECRET_KEY`` with HKDF-SHA256 and a per-purpose label, so
one configured secret serves several purposes without reusing a key. Ciphertexts carry a version
prefix so the derivation can change later without guessing.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1:"


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"orderhub:{purpose}".encode()).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(plaintext: str, *, secret_key: str, purpose: str) -> str:
    return VERSION + _fernet(secret_key, purpose).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, *, secret_key: str, purpose: str) -> str:
    """Raises ValueError if the ciphertext was not made with this key and purpose."""
    if not ciphertext.startswith(VERSION):
        raise ValueError("unknown ciphertext version")
    try:
        return _fernet(secret_key, purpose).decrypt(ciphertext[len(VERSION) :].encode()).decode()
    except InvalidToken:
        raise ValueError("ciphertext does not decrypt with this key") from None
