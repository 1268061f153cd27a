"""Encryption of personal identifiers at rest, and keyed hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class DataCipher:
    """Fernet with `ARREARS_DATA_KEY` (any secret; it is stretched to a Fernet key)."""

    def __init__(self, key: str) -> None:
        raw = key.encode()
        try:
            decoded = base64.urlsafe_b64decode(raw)
            fernet_key = raw if len(decoded) == 32 else self._derive(raw)
        except ValueError:
            fernet_key = self._derive(raw)
        self._fernet = Fernet(fernet_key)

    @staticmethod
    def _derive(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(hashlib.sha256(b"arrears-data-key:" + raw).digest())

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt with this data key") from None


def keyed_digest(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
