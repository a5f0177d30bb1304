"""Structured logs: one JSON object a line, configured in one place, with no email in them."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
from datetime import UTC
from datetime import datetime
from typing import IO
from typing import Any

from lookup.personal import ANY_AT
from lookup.personal import redact_emails

# SQLAlchemy quotes a failed statement's parameters (order number and email together) in its
# messages: they never reach a log.
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]\s*(?=\n|\(Background|$)", re.S)
# The attributes every LogRecord has; anything else was passed with `extra=` and is a field.
STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
HANDLER_NAME = "helpcenter-json"
# What json.dumps(entry, ensure_ascii=False, default=str) writes, without making an encoder for
# every line.
ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def redact(text: str) -> str:
    """The text with emails and SQL parameters replaced."""
    # Most lines have neither an at sign nor parameters: they skip both patterns.
    if "[parameters:" not in text and not ANY_AT.search(text):
        return text
    return redact_emails(SQL_PARAMETERS.sub("[parameters: redacted]", text))


def _field(value: Any) -> Any:
    """A JSON-safe, redacted value for an `extra=` field."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return redact(str(value))


def _entry(created: float, level: str, logger: str, message: str) -> dict[str, Any]:
    """The fields every line starts with."""
    return {"ts": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
            "level": level, "logger": logger, "msg": redact(message)}


def _line(entry: dict[str, Any]) -> str:
    """The entry as one line of JSON."""
    line = ENCODER.encode(entry)
    if line.isascii():  # most lines: no unpaired surrogate can be in them
        return line
    # An unpaired surrogate (JSON input can carry one) must not break the log stream.
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON, redacted."""
        entry = _entry(record.created, record.levelname.lower(), record.name,
                       record.getMessage())
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = _field(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["traceback"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return _line(entry)


def _only_json_handler(logger: logging.Logger) -> logging.Handler | None:
    """The JSON handler when it is the one place an INFO record of `logger` would go, as is."""
    if logger.filters:
        return None
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if (found is not None or handler.get_name() != HANDLER_NAME or handler.filters
                    or type(handler.formatter) is not JsonFormatter):
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent  # type: ignore[assignment]
    return found if found is not None and found.level <= logging.INFO else None


def info(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """What `logger.info(message, extra=fields)` writes, for a line on every request.

    When the JSON handler is the only place the record would go (in production it is), the line
    is written straight to it: a LogRecord, the caller's frame and the handler chain cost more
    than the line itself. Otherwise (tests capturing records, another handler) it goes through
    `logging` as usual. `message` has no arguments to fill in.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    handler = _only_json_handler(logger)
    if handler is None:
        logger.info(message, extra=fields)
        return
    entry = _entry(time.time(), "info", logger.name, message)
    for name, value in fields.items():
        entry[name] = _field(value)
    with handler.lock:  # type: ignore[union-attr]
        try:
            stream = handler.stream  # type: ignore[attr-defined]
            stream.write(_line(entry) + handler.terminator)  # type: ignore[attr-defined]
            handler.flush()
        except Exception:
            # As the handler does: report a broken stream on standard error, never raise.
            handler.handleError(logger.makeRecord(logger.name, logging.INFO, "(unknown file)",
                                                  0, message, (), None, extra=fields))


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def configure(level: str | int = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record through one JSON handler on the root logger (once per process).

    `stream` replaces the handler's output (tests read it); by default it is standard error,
    where gunicorn, waitress and systemd collect it.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None or stream is not None:
        if handler is not None:
            root.removeHandler(handler)
        handler = StderrHandler() if stream is None else logging.StreamHandler(stream)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        # Only when installing: a later app (tests make many) must not undo a level set since.
        root.setLevel(level if isinstance(level, int) else level.upper())
    return handler
