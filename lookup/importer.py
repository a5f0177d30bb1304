"""Importing orders from JSON Lines: check every line, then apply them all in one transaction."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from typing import Any

from lookup.orders import OrderError
from lookup.orders import validate_order
from lookup.store import ApplyResult
from lookup.store import OrderStore
from lookup.store import unstorable_field

log = logging.getLogger(__name__)

# How many line errors to report before stopping the check; enough to fix a file in one go.
MAX_REPORTED_ERRORS = 20
# Input that cannot be read twice (a pipe) is kept in memory up to this size, then on disk.
SPOOL_BYTES = 8 * 1024 * 1024

Progress = Callable[[int], None]


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
            document = json.loads(raw)
        except ValueError as exc:
            yield number, LineError(number, "line", f"not valid JSON ({exc})")
            continue
        try:
            document = validate_order(document)
        except OrderError as exc:
            yield number, LineError(number, exc.field, exc.message)
            continue
        bad = unstorable_field(document)
        if bad:
            yield number, LineError(number, bad, "must not contain NUL or unpaired surrogates")
            continue
        yield number, document


def check(stream: IO[bytes], progress: Progress | None = None) -> tuple[int, list[LineError]]:
    """Check every line; return how many orders there are and the first errors found."""
    count, errors = 0, []
    for _, item in documents(stream, progress):
        if isinstance(item, LineError):
            errors.append(item)
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        else:
            count += 1
    return count, errors


def apply(store: OrderStore, stream: IO[bytes], progress: Progress | None = None) -> ApplyResult:
    """Apply every line in one transaction (call `check` first: a bad line aborts it all)."""

    def valid() -> Iterator[dict[str, Any]]:
        for _, item in documents(stream, progress):
            if isinstance(item, LineError):
                raise ValueError(str(item))
            yield item

    # Documents flow through in batches (OrderStore.apply_in): memory stays bounded.
    try:
        result = store.apply(valid())
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
    return result


def rereadable(stream: IO[bytes]) -> IO[bytes]:
    """The stream itself when it can be rewound, else a spooled copy that can."""
    if stream.seekable():
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    shutil.copyfileobj(stream, copy)
    copy.seek(0)
    return copy
