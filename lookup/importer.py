"""Importing orders from JSON Lines: one pass, one transaction; a bad line rolls everything back."""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import IO
from typing import Any

from pydantic_core import from_json

from lookup.schema import OrderError
from lookup.schema import validate_order
from lookup.store import ApplyResult
from lookup.store import OrderStore
from lookup.store import Prepared
from lookup.store import prepare
from lookup.store import unstorable_field

log = logging.getLogger(__name__)

# How many line errors to report before stopping; enough to fix a file in one go.
MAX_REPORTED_ERRORS = 20
# Lines a worker checks at a time, and chunks read ahead per worker: enough to keep every
# worker busy while the store writes, few enough to keep memory flat.
CHUNK_LINES = 500
CHUNKS_AHEAD = 3
# Beyond a few workers the single writer is the limit.
MAX_WORKERS = 4

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


def check_line(number: int, raw: bytes) -> dict[str, Any] | LineError:
    """The validated document of one non-blank line, or the LineError saying what is wrong."""
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
            return LineError(number, "line", f"not valid JSON ({exc})")
    try:
        document = validate_order(document)
    except OrderError as exc:
        return LineError(number, exc.field, exc.message)
    walk = not parsed_strictly or may_hold_unstorable_text(raw)
    bad = unstorable_field(document) if walk else None
    if bad:
        return LineError(number, bad, "must not contain NUL or unpaired surrogates")
    return document


def _prepared_chunk(lines: list[tuple[int, bytes]]) -> list[tuple[int, Prepared | LineError]]:
    """check_line, then prepare, for each numbered line of a chunk (run in a worker)."""
    checked = []
    for number, raw in lines:
        item = check_line(number, raw)
        checked.append((number, item if isinstance(item, LineError) else prepare(item)))
    return checked


def _chunks(stream: IO[bytes], progress: Progress | None) -> Iterator[list[tuple[int, bytes]]]:
    """The numbered non-blank lines in chunks of CHUNK_LINES."""
    chunk: list[tuple[int, bytes]] = []
    for number, raw in enumerate(stream, start=1):
        if progress:
            progress(len(raw))
        if raw.strip():
            chunk.append((number, raw))
            if len(chunk) == CHUNK_LINES:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def prepared(stream: IO[bytes], progress: Progress | None = None
             ) -> Iterator[tuple[int, Prepared | LineError]]:
    """Each non-blank line with its number, in the file's order: the line `prepare`d for the
    store, or the LineError saying what is wrong with it. The checking is spread over worker
    processes, one per CPU, when there are several.

    The file is read only a few chunks ahead of what has been handed on, so memory stays flat.
    """
    workers = _worker_count()
    if workers < 2:
        for chunk in _chunks(stream, progress):
            yield from _prepared_chunk(chunk)
        return
    # Forked (the workers inherit the loaded code instead of importing it again): only safe
    # with no other thread in this process, which _worker_count checked; all of them are
    # forked before the executor starts its own thread. The workers' documents make no
    # cycles: collecting would walk the whole inherited heap, again and again (a quarter of a
    # worker's time), and copy its pages on the way. A worker that dies (killed, out of
    # memory) breaks the pool: the import fails and rolls back rather than wait for ever.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=gc.disable) as pool:
        ahead: deque[Future] = deque()
        try:
            for chunk in _chunks(stream, progress):
                ahead.append(pool.submit(_prepared_chunk, chunk))
                if len(ahead) >= workers * CHUNKS_AHEAD:
                    yield from ahead.popleft().result()
            while ahead:
                yield from ahead.popleft().result()
        finally:
            # Stopped early (too many bad lines, an error): drop the chunks not started.
            for future in ahead:
                future.cancel()


def _worker_count() -> int:
    """How many processes check lines: the CPUs this process may use, or 1 where forking is
    unavailable or unsafe (another thread is running)."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus or 1, MAX_WORKERS)


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

    def valid() -> Iterator[Prepared]:
        nonlocal count
        for _, item in prepared(stream, progress):
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

    # Batches of documents make no cycles; the cyclic collector walking every object again
    # and again cost more than the checks (memory stays flat without it).
    collecting = gc.isenabled()
    gc.disable()
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
    finally:
        if collecting:
            gc.enable()
    # Counts only (LogRecord reserves `created`, hence the orders_ prefix).
    log.info("import applied", extra={
        "event": "import", "result": "applied", "orders_created": result.created,
        "orders_updated": result.updated, "orders_unchanged": result.unchanged,
        "orders_older": result.older})
    return count, result
