"""Callback signatures: Standard Webhooks (default when a secret is set) or the KIE style.

Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one
`v1,…` entry per configured secret, so a receiver holding either the old or the new secret
verifies during a rotation. KIE: `X-Webhook-Signature` = base64 HMAC-SHA256 of
`task_id.timestamp` with the raw secret, and `X-Webhook-Timestamp`.

A bad secret is refused at start (`settings.values.standard_key`), so signing cannot fail on a
callback; if it ever did, the attempt would be logged failed with the error (`delivery.py`),
never lost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from mock_server import __version__
from mock_server.core.clock import wall_time
from mock_server.settings.values import PREFIX, standard_key
from mock_server.webhooks.records import Delivery

# The webhook_bad_signature fault signs with this: a valid secret no receiver has.
NOT_YOUR_SECRET = PREFIX + base64.b64encode(b"seedream-mock: not your secret").decode()


def callback_headers(
    delivery: Delivery,
    number: int,
    secrets: tuple[str, ...],
    style: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every header of attempt `number`, signed with `secrets` (none: unsigned) in `style`.
    `extra` (the profile's callback headers) may replace the plain ones, never a signature."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"seedream-mock/{__version__}",
        "webhook-id": delivery.event_id,
        "X-Seedream-Attempt": str(number),
        **(extra or {}),
    }
    if delivery.bad_signature:
        secrets = (NOT_YOUR_SECRET,)
    if secrets:
        # Wall time, not the mock's: receivers check it against their own clock.
        stamp = int(wall_time())
        if style == "kie":
            headers.update(kie_headers(secrets[0], delivery.task_id, stamp))
        else:
            headers.update(standard_headers(secrets, delivery.event_id, stamp, delivery.body))
    return headers


def _hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def standard_headers(
    secrets: tuple[str, ...], event_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    message = f"{event_id}.{timestamp}.".encode() + body
    signatures = " ".join(f"v1,{_hmac_b64(standard_key(s), message)}" for s in secrets)
    return {"webhook-timestamp": str(timestamp), "webhook-signature": signatures}


def kie_headers(secret: str, task_id: str, timestamp: int) -> dict[str, str]:
    signature = _hmac_b64(secret.encode(), f"{task_id}.{timestamp}".encode())
    return {"X-Webhook-Timestamp": str(timestamp), "X-Webhook-Signature": signature}
