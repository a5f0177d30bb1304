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
from typing import NotRequired

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import TypeAdapter
from pydantic import ValidationError
from pydantic import WithJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from lookup.messages import LANGS
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
LANGUAGES = LANGS
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

# TypedDicts (typing_extensions': pydantic needs its kind before Python 3.12), not models: the
# check builds no object per document (models took three times as long) and the caller keeps the
# document as sent, so other fields are allowed and said so in the JSON Schema.
PART = ConfigDict(strict=True, extra="ignore", json_schema_extra={"additionalProperties": True})


class Seller(TypedDict):
    """Who sold the order; `policy` overrides the store policy's numbers for this seller."""

    __pydantic_config__ = PART
    name: _name(200)
    id: NotRequired[_optional(200)]
    email: NotRequired[Email | None]
    country: NotRequired[Country | None]
    policy: NotRequired[dict[str, Annotated[int, Field(ge=0)]] | None]


class Item(TypedDict):
    """One line of the order."""

    __pydantic_config__ = PART
    name: _name(500)
    sku: NotRequired[_optional(200)]
    quantity: NotRequired[Annotated[int, Field(ge=1, description="1 when left out.")]]
    unit_price: NotRequired[Amount | None]
    kind: NotRequired[Annotated[Literal[ITEM_KINDS], Field(
        description="regular when left out; funding needs funding.ends_at.")]]


class Payment(TypedDict):
    """How and when the order was paid."""

    __pydantic_config__ = PART
    method: NotRequired[_optional(50)]
    paid_at: NotRequired[Time | None]


class CarrierEvent(TypedDict):
    """One scan of the parcel by the carrier."""

    __pydantic_config__ = PART
    at: Time
    status: NotRequired[_optional(500)]
    location: NotRequired[_optional(500)]
    description: NotRequired[_optional(500)]


class Shipping(TypedDict):
    """The parcel's journey."""

    __pydantic_config__ = PART
    carrier: NotRequired[_optional(200)]
    tracking_number: NotRequired[_optional(200)]
    tracking_url: NotRequired[Annotated[str, Field(max_length=MAX_TEXT, pattern=URL_PATTERN)]
                              | None]
    country: NotRequired[Country | None]
    international: NotRequired[bool]
    shipped_at: NotRequired[Time | None]
    delivered_at: NotRequired[Time | None]
    events: NotRequired[list[CarrierEvent] | None]


class Funding(TypedDict):
    """A pre-order funded in advance: when its funding ends."""

    __pydantic_config__ = PART
    ends_at: Time


class OrderDocument(TypedDict):
    """An order as the marketplace sends it; unknown fields are kept."""

    __pydantic_config__ = PART
    order_number: Annotated[str, Field(min_length=1, max_length=MAX_ORDER_NUMBER,
                                       pattern=ORDER_NUMBER_PATTERN),
                            AfterValidator(_order_number)]
    email: Email
    placed_at: Time
    status: Literal[STATUSES]
    seller: Seller
    items: NotRequired[list[Item] | None]
    currency: NotRequired[Annotated[str, Field(pattern=CURRENCY_PATTERN)] | None]
    total: NotRequired[Amount | None]
    payment: NotRequired[Payment | None]
    shipping: NotRequired[Shipping | None]
    funding: NotRequired[Funding | None]
    cancelled_at: NotRequired[Time | None]
    refunded_at: NotRequired[Time | None]
    completed_at: NotRequired[Time | None]
    updated_at: NotRequired[Time | None]


def _funding_has_an_end(document: OrderDocument) -> OrderDocument:
    """A pre-order item needs the date its funding ends."""
    items = document.get("items") or ()
    if not document.get("funding") and any(item.get("kind") == "funding" for item in items):
        raise PydanticCustomError("funding", "must give ends_at when an item is of kind funding",
                                  {"field": "funding"})
    return document


Order = Annotated[OrderDocument, AfterValidator(_funding_has_an_end)]
ORDER = TypeAdapter(Order)


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
    order: Order


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


def first_problem(error: ValidationError, whole: str = "body") -> tuple[str, str]:
    """The first refused field of a validation error (`whole` when it is the whole value), and
    what is wrong with it, in words."""
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
    return field_path(location) or whole, message


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
        ORDER.validate_python(document)
    except ValidationError as exc:
        raise OrderError(*first_problem(exc, "order")) from None
    return dict(document)
