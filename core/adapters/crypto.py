"""Sealing users' provider keys with AES-256-GCM under the master key from settings.

Each key gets a fresh random 96-bit nonce; the associated data binds the ciphertext to
its user and vendor, so a sealed key copied onto another user's row does not open. The
master key itself never reaches the database: rows carry only `key_id`, an HMAC digest
that names which master key sealed them (so a wrong master key is reported as such).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ConfigurationError

logger = logging.getLogger(__name__)

NONCE_BYTES = 12
AAD_VERSION = "studio-provider-key:v1"


class KeyDecryptionError(ConfigurationError):
    """A stored key cannot be opened: the master key is not the one that sealed it, or the row was altered."""

    code = "key_decryption_failed"


@dataclass(frozen=True, slots=True)
class Sealed:
    nonce: str  # base64
    ciphertext: str  # base64, GCM tag included
    key_id: str


def generate_master_key() -> str:
    """A new master key in the form settings expect (base64 of 32 random bytes)."""
    return base64.b64encode(os.urandom(32)).decode()


class KeyBox:
    def __init__(self, master_key_b64: str) -> None:
        if not master_key_b64:
            raise ConfigurationError(
                "No master key is set, so provider keys cannot be stored. Set MASTER_KEY "
                "(python -m scripts.rotate_master_key --generate prints one) and restart."
            )
        try:
            raw = base64.b64decode(master_key_b64, validate=True)
        except ValueError as exc:
            raise ConfigurationError("The master key is not valid base64.") from exc
        if len(raw) != 32:
            raise ConfigurationError(f"The master key must be 32 bytes (AES-256); it is {len(raw)}.")
        self._aead = AESGCM(raw)
        self.key_id = hmac.new(raw, b"studio master key id", hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"KeyBox(key_id={self.key_id})"

    @staticmethod
    def _aad(user_id: str, vendor: str) -> bytes:
        return f"{AAD_VERSION}|{user_id}|{vendor}".encode()

    def seal(self, plaintext: str, *, user_id: str, vendor: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, plaintext.encode(), self._aad(user_id, vendor))
        return Sealed(base64.b64encode(nonce).decode(), base64.b64encode(ciphertext).decode(), self.key_id)

    def open(self, sealed: Sealed, *, user_id: str, vendor: str) -> str:
        if sealed.key_id != self.key_id:
            logger.error(
                "a stored %s key of user %s was sealed by master key %s, not the configured %s",
                vendor,
                user_id,
                sealed.key_id,
                self.key_id,
            )
            raise KeyDecryptionError(
                f"Stored provider keys were encrypted with another master key (id {sealed.key_id}); "
                f"the configured one is {self.key_id}. Restore the right MASTER_KEY, or rotate with "
                "python -m scripts.rotate_master_key."
            )
        try:
            nonce = base64.b64decode(sealed.nonce)
            plaintext = self._aead.decrypt(nonce, base64.b64decode(sealed.ciphertext), self._aad(user_id, vendor))
        except (InvalidTag, ValueError) as exc:
            logger.error("a stored %s key of user %s failed authentication", vendor, user_id)
            raise KeyDecryptionError(
                f"A stored {vendor} key does not decrypt with the master key: it was altered or moved. "
                "Ask its owner to enter it again."
            ) from exc
        return plaintext.decode()
