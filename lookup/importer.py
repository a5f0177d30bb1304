"""Importing orders from JSON Lines: one pass, one transaction; a bad line rolls everything back."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from typing import Any

from pydantic_core import from_json

from lookup.schema import OrderError
from lookup.schema import validate_order
from lookup.store import ApplyResult
from lookup.store import OrderStore
from lookup.store import unstorable_field

log = logging.getLogger(__name__)

# How many line errors to report before stopping; enough to fix a file in one go.
MAX_REPORTED_ERRORS = 20

Progress = Callable[[int], None]


def may_hold_unstorable_text(raw: bytes) -> bool:
    """False when a JSON line cannot decode to a NUL or an unpaired surrogate.

    JSON can only spell those with a \\u escape (a raw NUL or control byte is invalid JSON, and
    invalid UTF-8 fails to decode), so a UTF-8 line with neither a \\u nor a NUL byte is clean
    and skips the walk over every string. UTF-16 and UTF-32 lines hold NUL bytes: walked.
    """
    return b"\\u" in raw or b"\x00" in raw


@dataclass(frozen=True)
class LineError:
    """A line that cannot be imported, and why."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


def documents(stream: IO[bytes], progress: Progress | None = None
              ) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    """Each non-blank line with its number: the validated document, or the LineError."""
    for number, raw in enumerate(stream, start=1):
        if progress:
            progress(len(raw))
        if not raw.strip():
            continue
        try:
            # pydantic's parser reads a line faster than json.loads, to the same values; it
            # refuses lone surrogates, so what it reads can hold no text but NUL unstorable.
            document, parsed_strictly = from_json(raw), True
        except ValueError:
            # Lines it refuses (a BOM, UTF-16, surrogates) go to json.loads, which decides and
            # words the errors as it always did.
            try:
                document, parsed_strictly = json.loads(raw), False
            except ValueError as exc:
                yield number, LineError(number, "line", f"not valid JSON ({exc})")
                continue
        try:
            document = validate_order(document)
        except OrderError as exc:
            yield number, LineError(number, exc.field, exc.message)
            continue
        walk = not parsed_strictly or may_hold_unstorable_text(raw)
        bad = unstorable_field(document) if walk else None
        if bad:
            yield number, LineError(number, bad, "must not contain NUL or unpaired surrogates")
            continue
        yield number, document


class ImportRejected(ValueError):
    """The file has bad lines: nothing of it was imported."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} bad line(s)")
        self.errors = errors


def import_stream(store: OrderStore, stream: IO[bytes], progress: Progress | None = None
                  ) -> tuple[int, ApplyResult]:
    """Validate and apply every line in one pass and one transaction: all of them, or none.

    Valid documents flow to the store in batches (memory stays bounded) while the rest of the
    file is still being read; the first bad line stops the writing, the reading goes on to
    report more of them, and ImportRejected then rolls the whole transaction back.
    """
    errors: list[LineError] = []
    count = 0

    def valid() -> Iterator[dict[str, Any]]:
        nonlocal count
        for _, item in documents(stream, progress):
            if isinstance(item, LineError):
                errors.append(item)
                if len(errors) >= MAX_REPORTED_ERRORS:
                    break
            elif not errors:
                count += 1
                yield item
        if errors:
            # Raised inside the store's transaction, so whatever was written is undone.
            raise ImportRejected(errors)

    try:
        result = store.apply(valid())
    except ImportRejected:
        log.warning("import refused: %d bad line(s)", len(errors),
                    extra={"event": "import", "result": "refused"})
        raise
    except Exception as exc:
        # The type only: a database error's message quotes order numbers and emails.
        log.error("import rolled back: %s", type(exc).__name__,
                  extra={"event": "import", "result": "rolled_back"})
        raise
    # Counts only (LogRecord reserves `created`, hence the orders_ prefix).
    log.info("import applied", extra={
        "event": "import", "result": "applied", "orders_created": result.created,
        "orders_updated": result.updated, "orders_unchanged": result.unchanged,
        "orders_older": result.older})
    return count, result
