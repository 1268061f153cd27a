"""Standard Webhooks signatures: secrets, verification at the request's clock, signing.

`standardwebhooks.Webhook.verify` checks the timestamp against the process clock; the service's
clock is the request's (the test clock in tests), so the timestamp is checked here and the library
computes the signature. The library raises plain `ValueError`s (and binascii errors) on malformed
input; every one of them is turned into `MalformedWebhook` or `BadSignature`, never a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from app.core.errors import BadRequest, Unauthorized

TOLERANCE = timedelta(minutes=5)
MAX_WEBHOOK_ID = 255
MAX_SIGNATURES = 10
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_WEBHOOK_ID = re.compile(r"^[\x21-\x7e]+$")


class MalformedWebhook(BadRequest):
    slug, title = "malformed-webhook", "Malformed webhook headers"


class BadSignature(Unauthorized):
    slug, title = "invalid-webhook-signature", "Webhook signature or timestamp not valid"
    headers: dict[str, str] | None = None  # type: ignore[assignment]  # no bearer key here


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise MalformedWebhook(f"The `{name}` header is required.")
    return value.strip()


def parse_headers(headers: Mapping[str, str]) -> tuple[str, datetime, list[bytes]]:
    """(webhook-id, timestamp, v1 signatures) or 400 when a header is missing or malformed."""
    webhook_id = _header(headers, "webhook-id")
    if len(webhook_id) > MAX_WEBHOOK_ID or not _WEBHOOK_ID.match(webhook_id):
        raise MalformedWebhook("`webhook-id` must be 1–255 printable ASCII characters.")
    raw_timestamp = _header(headers, "webhook-timestamp")
    if not _TIMESTAMP.match(raw_timestamp):
        raise MalformedWebhook("`webhook-timestamp` must be Unix seconds.")
    try:
        timestamp = datetime.fromtimestamp(int(raw_timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise MalformedWebhook("`webhook-timestamp` must be Unix seconds.") from None
    signatures = []
    for part in _header(headers, "webhook-signature").split()[:MAX_SIGNATURES]:
        version, sep, encoded = part.partition(",")
        if not sep:
            raise MalformedWebhook("`webhook-signature` entries look like `v1,<base64>`.")
        if version != "v1":
            continue  # other schemes (v1a) are not ours to check
        try:
            signatures.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            raise MalformedWebhook("`webhook-signature` holds malformed base64.") from None
    return webhook_id, timestamp, signatures


def _expected(secret: str, webhook_id: str, timestamp: datetime, body: str) -> bytes:
    signed = Webhook(secret).sign(msg_id=webhook_id, timestamp=timestamp, data=body)
    return base64.b64decode(signed.split(",", 1)[1])


def verify(
    secrets_: Iterable[str],
    webhook_id: str,
    timestamp: datetime,
    signatures: list[bytes],
    body: str,
    *,
    now: datetime,
) -> None:
    """401 unless the timestamp is within 5 minutes of now and a signature matches a secret."""
    if timestamp < now - TOLERANCE:
        raise BadSignature("The webhook timestamp is too old.")
    if timestamp > now + TOLERANCE:
        raise BadSignature("The webhook timestamp is in the future.")
    for secret in secrets_:
        expected = _expected(secret, webhook_id, timestamp, body)
        if any(hmac.compare_digest(expected, sig) for sig in signatures):
            return
    raise BadSignature("No signature matches.")


def sign_headers(secret: str, webhook_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for an outbound delivery."""
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
