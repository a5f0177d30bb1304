# ruff: noqa: E501  (the candidates are code in strings, kept as one would write them)
"""Which schema library should define the order document: msgspec or pydantic v2?

Three measures, each against the hand-written checks that were in lookup/orders.py before
(validate_order at commit BEFORE_COMMIT, read from git):
- import: wall time of a fresh interpreter importing the validation code (minus bare start-up);
- throughput: decode and validate every line of a JSON Lines file of orders (bench/orders.py),
  keeping the document as sent (unknown fields kept), as `helpcenter import` must. All three
  decode with the standard json module: both libraries' own decoders refuse a lone surrogate
  escape as malformed JSON, where the contract wants it refused naming its field;
- errors: does the message name the bad field's full path (`shipping.events[2].at`,
  `seller.policy.return_window_days`) for a set of bad documents?

Both candidates describe the same contract; the checks no type expresses (timestamps read by the
same parser as the rest of the code, `funding` when an item is of kind funding) are written with
each library's own hook (msgspec: __post_init__, pydantic: validators).

    .venv/bin/python bench/schema_choice.py [ORDERS.jsonl] > bench/latest/schema_choice.txt
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(PROJECT_DIR))

from orders import write_orders  # noqa: E402

LINES = 100_000
RUNS = 7

# -- the two candidates, as import-time snippets (so `import` measures them) --------------------

MSGSPEC_SCHEMA = '''
from typing import Annotated, Literal
import msgspec
from msgspec import Meta, Struct, field
from lookup.orders import parse_time

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern="^[^\\\\x00]*\\\\S[^\\\\x00]*$")]
Email = Annotated[str, Meta(max_length=254, pattern="^\\\\s*[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+\\\\s*$")]
Amount = Annotated[str, Meta(pattern="^[0-9]+(\\\\.[0-9]+)?$")]
Country = Annotated[str, Meta(pattern="^[A-Z]{2}$")]

def _times(struct, *names):
    for name in names:
        value = getattr(struct, name)
        if value is not None:
            try:
                parse_time(value)
            except ValueError:
                raise ValueError(f"{name}: must be an ISO 8601 date-time with a UTC offset")

class Seller(Struct):
    name: Name
    id: Annotated[str, Meta(max_length=200)] | None = None
    email: Email | None = None
    country: Country | None = None
    policy: dict[str, Annotated[int, Meta(ge=0)]] | None = None

class Item(Struct):
    name: Annotated[str, Meta(min_length=1, max_length=500)]
    sku: Annotated[str, Meta(max_length=200)] | None = None
    quantity: Annotated[int, Meta(ge=1)] = 1
    unit_price: Amount | None = None
    kind: Literal["regular", "funding", "game_coupon"] = "regular"

class Payment(Struct):
    method: Annotated[str, Meta(max_length=50)] | None = None
    paid_at: str | None = None
    def __post_init__(self):
        _times(self, "paid_at")

class Event(Struct):
    at: str
    status: Annotated[str, Meta(max_length=500)] | None = None
    location: Annotated[str, Meta(max_length=500)] | None = None
    description: Annotated[str, Meta(max_length=500)] | None = None
    def __post_init__(self):
        _times(self, "at")

class Shipping(Struct):
    carrier: Annotated[str, Meta(max_length=200)] | None = None
    tracking_number: Annotated[str, Meta(max_length=200)] | None = None
    tracking_url: Annotated[str, Meta(max_length=2000, pattern="^https?://[^\\\\x00]*$")] | None = None
    country: Country | None = None
    international: bool = False
    shipped_at: str | None = None
    delivered_at: str | None = None
    events: list[Event] | None = None
    def __post_init__(self):
        _times(self, "shipped_at", "delivered_at")

class Funding(Struct):
    ends_at: str
    def __post_init__(self):
        _times(self, "ends_at")

Status = Literal["awaiting_payment", "paid", "preparing_shipment", "shipped", "out_for_delivery",
                 "delivery_exception", "delivered", "return_requested", "returned", "cancelled",
                 "refunded", "completed"]

class Order(Struct):
    order_number: Annotated[str, Meta(min_length=1, max_length=64, pattern="[^\\\\s#]")]
    email: Email
    placed_at: str
    status: Status
    seller: Seller
    items: list[Item] | None = None
    currency: Annotated[str, Meta(pattern="^[A-Z]{3}$")] | None = None
    total: Amount | None = None
    payment: Payment | None = None
    shipping: Shipping | None = None
    funding: Funding | None = None
    cancelled_at: str | None = None
    refunded_at: str | None = None
    completed_at: str | None = None
    updated_at: str | None = None
    def __post_init__(self):
        _times(self, "placed_at", "cancelled_at", "refunded_at", "completed_at", "updated_at")
        if self.funding is None and any(i.kind == "funding" for i in self.items or ()):
            raise ValueError("funding: must give ends_at when an item is of kind funding")

import json
def validate(raw):
    document = json.loads(raw)
    msgspec.convert(document, Order)
    return document
Error = msgspec.ValidationError
def field_of(error):
    text = str(error)
    message, _, path = text.partition(" - at `$")
    prefix = path.rstrip("`").lstrip(".")
    if ": " in message and message.split(": ")[0].isidentifier():
        inner = message.split(": ")[0]
        return f"{prefix}.{inner}" if prefix else inner
    if message.startswith("Object missing required field `"):
        inner = message.split("`")[1]
        return f"{prefix}.{inner}" if prefix else inner
    return prefix or "order"
def message_of(error):
    return str(error)
'''

PYDANTIC_SCHEMA = '''
from typing import Annotated, Literal
import json
import pydantic
import pydantic_core
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from lookup.orders import parse_time

def _time(value: str) -> str:
    try:
        parse_time(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time with a UTC offset") from None
    return value

Time = Annotated[str, AfterValidator(_time)]

Name = Annotated[str, Field(min_length=1, max_length=200, pattern="^[^\\\\x00]*\\\\S[^\\\\x00]*$")]
Email = Annotated[str, Field(max_length=254, pattern="^\\\\s*[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+\\\\s*$")]
Amount = Annotated[str, Field(pattern="^[0-9]+(\\\\.[0-9]+)?$")]
Country = Annotated[str, Field(pattern="^[A-Z]{2}$")]

class Part(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

class Seller(Part):
    name: Name
    id: Annotated[str, Field(max_length=200)] | None = None
    email: Email | None = None
    country: Country | None = None
    policy: dict[str, Annotated[int, Field(ge=0)]] | None = None

class Item(Part):
    name: Annotated[str, Field(min_length=1, max_length=500)]
    sku: Annotated[str, Field(max_length=200)] | None = None
    quantity: Annotated[int, Field(ge=1)] = 1
    unit_price: Amount | None = None
    kind: Literal["regular", "funding", "game_coupon"] = "regular"

class Payment(Part):
    method: Annotated[str, Field(max_length=50)] | None = None
    paid_at: Time | None = None

class Event(Part):
    at: Time
    status: Annotated[str, Field(max_length=500)] | None = None
    location: Annotated[str, Field(max_length=500)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None

class Shipping(Part):
    carrier: Annotated[str, Field(max_length=200)] | None = None
    tracking_number: Annotated[str, Field(max_length=200)] | None = None
    tracking_url: Annotated[str, Field(max_length=2000, pattern="^https?://")] | None = None
    country: Country | None = None
    international: bool = False
    shipped_at: Time | None = None
    delivered_at: Time | None = None
    events: list[Event] | None = None

class Funding(Part):
    ends_at: Time

Status = Literal["awaiting_payment", "paid", "preparing_shipment", "shipped", "out_for_delivery",
                 "delivery_exception", "delivered", "return_requested", "returned", "cancelled",
                 "refunded", "completed"]

class Order(Part):
    order_number: Annotated[str, Field(min_length=1, max_length=64, pattern="[^\\\\s#]")]
    email: Email
    placed_at: Time
    status: Status
    seller: Seller
    items: list[Item] | None = None
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] | None = None
    total: Amount | None = None
    payment: Payment | None = None
    shipping: Shipping | None = None
    funding: Funding | None = None
    cancelled_at: Time | None = None
    refunded_at: Time | None = None
    completed_at: Time | None = None
    updated_at: Time | None = None

    @model_validator(mode="after")
    def _funding(self):
        if self.funding is None and any(i.kind == "funding" for i in self.items or ()):
            raise pydantic_core.PydanticCustomError("funding", "must give ends_at when an item is of kind funding")
        return self

def validate(raw):
    document = json.loads(raw)
    Order.model_validate(document)
    return document
Error = pydantic.ValidationError
def field_of(error):
    first = error.errors()[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    if first["type"] == "funding":
        return "funding"
    return path or "order"
def message_of(error):
    first = error.errors()[0]
    return first["msg"]
'''

# The hand-written checks as they were before lookup.schema (read from git, stdlib only).
BEFORE_COMMIT = "c4dd26a"
BEFORE_DIR = Path(tempfile.mkdtemp())
(BEFORE_DIR / "orders_before.py").write_bytes(subprocess.run(
    ["git", "show", f"{BEFORE_COMMIT}:lookup/orders.py"], cwd=PROJECT_DIR, check=True,
    capture_output=True).stdout)

CURRENT = f'''
import json, sys
sys.path.insert(0, {str(BEFORE_DIR)!r})
from orders_before import OrderError, validate_order
def validate(raw):
    return validate_order(json.loads(raw))
Error = OrderError
def field_of(error):
    return error.field
def message_of(error):
    return str(error)
'''

# What was chosen, as the code runs it (lookup.schema: pydantic with TypedDicts rather than
# models, which build an object per document part), measured the same way once it exists.
BUILT = '''
import json
from lookup.schema import OrderError, validate_order
def validate(raw):
    return validate_order(json.loads(raw))
Error = OrderError
def field_of(error):
    return error.field
def message_of(error):
    return str(error)
'''

CANDIDATES = {f"hand-written ({BEFORE_COMMIT})": CURRENT, "msgspec": MSGSPEC_SCHEMA,
              "pydantic v2 (models)": PYDANTIC_SCHEMA}
if (PROJECT_DIR / "lookup" / "schema.py").exists():
    CANDIDATES["lookup.schema (pydantic)"] = BUILT


def import_ms(code: str) -> float:
    """Median wall milliseconds to start Python and run the snippet, minus a bare start-up."""
    def run(snippet: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", snippet], check=True, cwd=PROJECT_DIR)
        return time.perf_counter() - started
    bare = statistics.median(run("import json") for _ in range(RUNS))
    return (statistics.median(run(code) for _ in range(RUNS)) - bare) * 1000


def load(code: str) -> dict:
    """The snippet's names (validate, Error, field_of)."""
    names: dict = {}
    exec(compile(code, "<candidate>", "exec", dont_inherit=True), names)
    return names


def throughputs(candidates: dict[str, dict], path: Path, rounds: int = 3) -> dict[str, float]:
    """Lines per second through decode and validate for each candidate, the best of `rounds`
    passes; the candidates take turns in each round, so a busy moment of a shared machine falls
    on all of them alike."""
    lines = path.read_bytes().splitlines()
    best = dict.fromkeys(candidates, 0.0)
    for _ in range(rounds):
        for name, names in candidates.items():
            validate = names["validate"]
            started = time.perf_counter()
            for raw in lines:
                validate(raw)
            best[name] = max(best[name], len(lines) / (time.perf_counter() - started))
    return best


def bad_documents() -> list[tuple[str, dict | list]]:
    """(the field a good message names, a document bad in that field)."""
    sys.path.insert(0, str(PROJECT_DIR))
    from tests.lookup_fixtures import make_order
    from tests.lookup_fixtures import shipping
    scans = [{"at": "2026-03-05T08:00:00+09:00"}, {"at": "2026-03-05T09:00:00+09:00"},
             {"at": "tomorrow"}]
    return [
        ("order", ["a list"]),
        ("email", make_order(email="not-an-email")),
        ("status", make_order(status="teleported")),
        ("placed_at", make_order(placed_at="2026-03-02T10:00:00")),
        ("order_number", {k: v for k, v in make_order().items() if k != "order_number"}),
        ("items[0].quantity", make_order(items=[{"name": "Mug", "quantity": 0}])),
        ("items[0].kind", make_order(items=[{"name": "Mug", "kind": "gift"}])),
        ("items[0].unit_price", make_order(items=[{"name": "Mug", "unit_price": 18000}])),
        ("funding", make_order(items=[{"name": "Fig", "kind": "funding"}])),
        ("seller.policy.return_window_days",
         make_order(seller={"name": "S", "policy": {"return_window_days": -1}})),
        ("shipping.events[2].at", make_order(shipping=shipping(events=scans))),
        ("shipping.tracking_url",
         make_order(shipping=shipping(tracking_url="javascript:alert(1)"))),
        ("currency", make_order(currency="won")),
        ("seller", make_order(seller=None)),
        ("seller.name", make_order(seller={"country": "KR"})),
    ]


def errors(names: dict) -> tuple[int, list[str]]:
    """How many bad documents get a message naming the right field, and the messages."""
    right, shown = 0, []
    for field, document in bad_documents():
        try:
            names["validate"](json.dumps(document).encode())
        except names["Error"] as exc:
            named = names["field_of"](exc)
            right += named == field
            shown.append(f"  {'ok ' if named == field else 'BAD'} {field:34} {named!r:36} "
                         f"{names['message_of'](exc)[:90]!r}")
        else:
            shown.append(f"  BAD {field:34} accepted")
    return right, shown


def main() -> None:
    """Print the table and each candidate's messages."""
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        path = Path(tempfile.mkdtemp()) / "orders.jsonl"
        write_orders(path, LINES)
    print(f"python {sys.version.split()[0]}; {sum(1 for _ in path.open('rb')):,} lines of "
          f"orders from bench/orders.py; import: median of {RUNS} fresh interpreters, minus one importing json only\n")
    loaded = {name: load(code) for name, code in CANDIDATES.items()}
    rates = throughputs(loaded, path)
    rows, messages = [], {}
    for name, code in CANDIDATES.items():
        right, shown = errors(loaded[name])
        rows.append((name, import_ms(code), rates[name], right, len(shown)))
        messages[name] = shown
    print(f"{'candidate':26} {'import ms':>10} {'lines/s':>10} {'fields named':>13}")
    for name, ms, rate, right, total in rows:
        print(f"{name:26} {ms:10.1f} {rate:10,.0f} {right:>9}/{total}")
    for name, shown in messages.items():
        print(f"\n{name}: expected field, field named, message")
        print("\n".join(shown))


if __name__ == "__main__":
    main()
