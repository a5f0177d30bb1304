"""POST /api/webhooks/orders: signed order updates from the marketplace."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Iterable

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import Unauthorized
from werkzeug.exceptions import UnsupportedMediaType

from lookup.orders import parse_time
from lookup.schema import WebhookEvent
from lookup.store import unstorable_field
from lookup.web.db import get_store
from lookup.web.inputs import checked
from lookup.web.inputs import storable

bp = Blueprint("webhook", __name__, url_prefix="/api/webhooks")
log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Helpcenter-Signature"
TOLERANCE_SECONDS = 300
BAD_SIGNATURE = "The request signature is missing, wrong or expired."


# ASCII digits only (str.isdigit accepts "²"), and few enough for int() and for the next
# few centuries of Unix time.
TIMESTAMP = re.compile(r"[0-9]{1,12}")


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The signature header value for a body: what the marketplace sends (tests use it too)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(header: str | None, body: bytes, secrets: Iterable[str], now: float,
                     tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when the header holds a fresh v1 signature of the body by one of the secrets."""
    if not header:
        return False
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and TIMESTAMP.fullmatch(value):
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance:
        return False
    # Every secret is tried, so the old and the new one both verify while a secret is rotated.
    valid = False
    for secret in secrets:
        expected = sign(body, secret, timestamp).partition(",v1=")[2]
        for signature in signatures:
            valid |= hmac.compare_digest(expected.encode(), signature.encode())
    return valid


def webhook_secrets() -> list[str]:
    """The configured secrets: WEBHOOK_SECRET, comma-separated during a rotation."""
    value = current_app.config.get("WEBHOOK_SECRET") or ""
    return [secret.strip() for secret in value.split(",") if secret.strip()]


@bp.post("/orders")
def orders() -> Response:
    """Apply one signed order event: once, and never moving an order back in time."""
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with Content-Type: application/json.")
    request.max_content_length = int(current_app.config["WEBHOOK_MAX_BYTES"])
    raw = request.get_data(cache=True)
    header = request.headers.get(SIGNATURE_HEADER)
    if not verify_signature(header, raw, webhook_secrets(), time.time()):
        log.warning("webhook refused: bad or stale signature",
                    extra={"event": "webhook", "result": "refused"})
        raise Unauthorized(BAD_SIGNATURE)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: arrays nested thousands deep; malformed, not a crash.
        raise BadRequest("body: must be valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("body: must be a JSON object.")
    event = checked(WebhookEvent, body)
    event_id = storable("event_id", event.event_id)
    occurred_at = parse_time(event.occurred_at)
    # The document as sent, not as the model read it: unknown fields are kept, and a text in
    # them that no database can hold is refused, not crashed on.
    document = dict(body["order"])
    bad = unstorable_field(document)
    if bad:
        raise BadRequest(f"order.{bad}: must not contain NUL or unpaired surrogate characters.")
    result = get_store().apply_event(event_id, document, occurred_at)
    log.info("webhook event %s: %s", event_id, result,
             extra={"event": "webhook", "event_id": event_id, "result": result})
    return jsonify({"event_id": event_id, "result": result})
