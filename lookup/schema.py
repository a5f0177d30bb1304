"""The shapes the service accepts, defined once: the order document, the lookup and webhook bodies.

Validation, the OpenAPI components (lookup.web.openapi) and the forms' `maxlength` all read these
definitions; the feedback bodies live in lookup.feedback_bodies, beside their stores' limits.
Unknown fields of an order document are allowed here and kept by the callers, which store the
document as sent: the models only check it.
"""

from __future__ import annotations

import re
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import WithJsonSchema
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from lookup.orders import ITEM_KINDS
from lookup.orders import STATUSES
from lookup.orders import normalize_email
from lookup.orders import normalize_order_number
from lookup.orders import parse_time

# -- limits and patterns: the one definition of each -------------------------------------------

MAX_ORDER_NUMBER = 64
# A buyer may type blanks and a leading '#' around the number: the lookup takes a little more.
MAX_TYPED_ORDER_NUMBER = MAX_ORDER_NUMBER + 16
MAX_EMAIL = 254
MAX_TEXT = 2000
MAX_EVENT_ID = 200
LANGUAGES = ("en", "ko")
# The lookup form's `maxlength` for each field, in the widget and the no-JavaScript page alike.
FORM_MAXLENGTH = {"order_number": MAX_TYPED_ORDER_NUMBER, "email": MAX_EMAIL}

# What a refused pattern means, in words (the library's own message would quote the regex).
PATTERN_MESSAGES: dict[str, str] = {}


def pattern(regex: str, meaning: str) -> str:
    """A pattern, registered with what it means for the messages that refuse a value."""
    PATTERN_MESSAGES[regex] = meaning
    return regex


EMAIL_PATTERN = pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "must be an email address")
AMOUNT_PATTERN = pattern(r"^[0-9]+(\.[0-9]+)?$",
                         'must be a decimal amount written as a string, like "18000"')
CURRENCY_PATTERN = pattern(r"^[A-Z]{3}$", "must be a three-letter currency code like KRW")
COUNTRY_PATTERN = pattern(r"^[A-Z]{2}$", "must be a two-letter country code like KR")
URL_PATTERN = pattern(r"^https?://", "must be an http(s) URL")
NOT_BLANK = pattern(r"\S", "must not be blank")
ORDER_NUMBER_PATTERN = pattern(r"[^\s#]", "must contain more than blanks and '#'")

_EMAIL = re.compile(EMAIL_PATTERN)

TIME_MESSAGE = "must be an ISO 8601 date-time with a UTC offset"


# -- checks no JSON Schema keyword says -------------------------------------------------------

def _time(value: str) -> str:
    """A timestamp as the rest of the code reads it (lookup.orders.parse_time)."""
    try:
        parse_time(value)
    except ValueError:
        raise PydanticCustomError("date_time", TIME_MESSAGE) from None
    return value


def _order_number(value: str) -> str:
    """An order number that leaves a lookup key once blanks and a leading '#' are dropped."""
    if not normalize_order_number(value):
        raise PydanticCustomError("order_number", PATTERN_MESSAGES[ORDER_NUMBER_PATTERN])
    return value


def _email(value: str) -> str:
    """An address once trimmed and folded as the lookup key is."""
    if not _EMAIL.match(normalize_email(value)):
        raise PydanticCustomError("email", PATTERN_MESSAGES[EMAIL_PATTERN])
    return value


Time = Annotated[str, AfterValidator(_time), WithJsonSchema({"type": "string",
                                                              "format": "date-time"})]
Email = Annotated[str, Field(max_length=MAX_EMAIL), AfterValidator(_email),
                  WithJsonSchema({"type": "string", "maxLength": MAX_EMAIL,
                                  "pattern": EMAIL_PATTERN})]
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN)]
Country = Annotated[str, Field(pattern=COUNTRY_PATTERN)]


def _name(limit: int) -> Any:
    """A required name: some text that is not only blanks."""
    return Annotated[str, Field(min_length=1, max_length=limit, pattern=NOT_BLANK)]


def _optional(limit: int) -> Any:
    """An optional text of at most limit characters."""
    return Annotated[str, Field(max_length=limit)] | None


# -- the order document -------------------------------------------------------------------------

class Part(BaseModel):
    """A part of an order document: JSON types exactly (no "1" for 1), other fields allowed."""

    model_config = ConfigDict(strict=True, extra="allow")


class Seller(Part):
    """Who sold the order; `policy` overrides the store policy's numbers for this seller."""

    name: _name(200)
    id: _optional(200) = None
    email: Email | None = None
    country: Country | None = None
    policy: dict[str, Annotated[int, Field(ge=0)]] | None = None


class Item(Part):
    """One line of the order."""

    name: _name(500)
    sku: _optional(200) = None
    quantity: Annotated[int, Field(ge=1)] = 1
    unit_price: Amount | None = None
    kind: Literal[ITEM_KINDS] = Field("regular", description="funding needs funding.ends_at.")


class Payment(Part):
    """How and when the order was paid."""

    method: _optional(50) = None
    paid_at: Time | None = None


class CarrierEvent(Part):
    """One scan of the parcel by the carrier."""

    at: Time
    status: _optional(500) = None
    location: _optional(500) = None
    description: _optional(500) = None


class Shipping(Part):
    """The parcel's journey."""

    carrier: _optional(200) = None
    tracking_number: _optional(200) = None
    tracking_url: Annotated[str, Field(max_length=MAX_TEXT, pattern=URL_PATTERN)] | None = None
    country: Country | None = None
    international: bool = False
    shipped_at: Time | None = None
    delivered_at: Time | None = None
    events: list[CarrierEvent] | None = None


class Funding(Part):
    """A pre-order funded in advance: when its funding ends."""

    ends_at: Time


class OrderDocument(Part):
    """An order as the marketplace sends it; unknown fields are kept."""

    order_number: Annotated[str, Field(min_length=1, max_length=MAX_ORDER_NUMBER,
                                       pattern=ORDER_NUMBER_PATTERN),
                            AfterValidator(_order_number)]
    email: Email
    placed_at: Time
    status: Literal[STATUSES]
    seller: Seller
    items: list[Item] | None = None
    currency: Annotated[str, Field(pattern=CURRENCY_PATTERN)] | None = None
    total: Amount | None = None
    payment: Payment | None = None
    shipping: Shipping | None = None
    funding: Funding | None = None
    cancelled_at: Time | None = None
    refunded_at: Time | None = None
    completed_at: Time | None = None
    updated_at: Time | None = None

    @model_validator(mode="after")
    def _funding_has_an_end(self) -> OrderDocument:
        if self.funding is None and any(item.kind == "funding" for item in self.items or ()):
            raise PydanticCustomError("funding", "must give ends_at when an item is of kind "
                                      "funding", {"field": "funding"})
        return self


# -- request bodies -----------------------------------------------------------------------------

class LookupRequest(BaseModel):
    """The lookup's body; other fields are ignored, as they always were."""

    model_config = ConfigDict(strict=True, extra="ignore", json_schema_extra={
        # A demo order (`helpcenter demo`), so a first try finds something.
        "examples": [{"order_number": "DEMO-1011", "email": "minho.kang@example.com"}]})

    order_number: Annotated[str, Field(
        min_length=1, max_length=MAX_TYPED_ORDER_NUMBER, pattern=ORDER_NUMBER_PATTERN,
        description="Matched ignoring case, blanks and a leading '#'."),
        AfterValidator(_order_number)]
    email: Annotated[str, Field(min_length=1, max_length=MAX_EMAIL, pattern=NOT_BLANK,
                                description="Matched ignoring case.")]
    lang: Literal[LANGUAGES] | None = Field(
        None, description="The answer's language; without it, Accept-Language decides.")


class WebhookEvent(BaseModel):
    """A signed order event; other top-level fields are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")

    event_id: Annotated[str, Field(min_length=1, max_length=MAX_EVENT_ID, pattern=NOT_BLANK)]
    occurred_at: Time
    order: OrderDocument


# -- errors that name the field -----------------------------------------------------------------

# The library's words for a refused value, in the wording the API has always used.
MESSAGES = {
    "missing": "required",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "int_type": "must be a whole number",
    "greater_than_equal": "must be a whole number of {ge} or more",
    "bool_type": "must be true or false",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "list_type": "must be a list",
    "extra_forbidden": "unknown field",
}


def field_path(location: tuple[int | str, ...]) -> str:
    """A location as the messages write it: `shipping.events[2].at`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def first_problem(error: ValidationError) -> tuple[str, str]:
    """The first refused field of a validation error, and what is wrong with it, in words."""
    problem = error.errors(include_url=False)[0]
    context = problem.get("ctx") or {}
    location = (*problem["loc"], context["field"]) if "field" in context else problem["loc"]
    if problem["type"] == "string_pattern_mismatch":
        message = PATTERN_MESSAGES.get(context.get("pattern"), problem["msg"])
    elif problem["type"] == "literal_error":
        message = f"must be one of {context['expected']}"
    elif problem["type"] in MESSAGES:
        message = MESSAGES[problem["type"]].format(**context)
    else:
        message = problem["msg"]
    return field_path(location), message


class OrderError(ValueError):
    """An order document that cannot be stored; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def validate_order(document: Any) -> dict[str, Any]:
    """Check an order document and return it as sent; raise OrderError naming the first bad field.

    Unknown fields are kept as they are: the store keeps the whole document.
    """
    if not isinstance(document, dict):
        raise OrderError("order", "must be a JSON object")
    try:
        OrderDocument.model_validate(document)
    except ValidationError as exc:
        raise OrderError(*first_problem(exc)) from None
    return dict(document)
