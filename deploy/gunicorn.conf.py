"""gunicorn settings for the help center: sized from the machine, every log line JSON, no email.

    gunicorn --config deploy/gunicorn.conf.py --bind 127.0.0.1:8000 "lookup:create_app()"
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from lookup.web.logs import JsonFormatter

# The cores this process may run on (a container's share, not the host's count).
CORES = len(os.sched_getaffinity(0))

bind = ["127.0.0.1:8000"]
# Lookups mostly wait on the database: two processes a core, a few threads each. WEB_CONCURRENCY
# (gunicorn's own variable) overrides the process count.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * CORES))
threads = 4
worker_class = "gthread"
# A request that takes longer than this is stuck: the worker is replaced.
timeout = 30
graceful_timeout = 30
# nginx keeps upstream connections open; keep them a little longer than it waits for a request.
keepalive = 75
# Recycle workers now and then, at different moments, so a slow leak never builds up.
max_requests = 10_000
max_requests_jitter = 1_000
# systemd reloads and stops the service with signals; no control socket, whose default path in
# the home folder would be shared by every gunicorn the user runs.
control_socket_disable = True

# The access line's message: method, path without its query string, status. The query string
# (search text, where buyers sometimes type an email) never reaches the log.
access_log_format = "%(m)s %(U)s %(s)s"
ACCESS_FIELDS = {"method": "m", "path": "U", "status": "s", "bytes": "B", "duration_ms": "M"}


class AccessFormatter(JsonFormatter):
    """gunicorn's access lines as JSON with their own fields, redacted like the app's lines."""

    def format(self, record: logging.LogRecord) -> str:
        """The access record with method, path, status, bytes and duration as fields."""
        atoms = record.args if isinstance(record.args, Mapping) else {}
        for field, atom in ACCESS_FIELDS.items():
            value = atoms.get(atom)
            setattr(record, field, int(value) if str(value).isdigit() else value)
        return super().format(record)


LOG_LEVEL = os.environ.get("HELPCENTER_LOG_LEVEL", "INFO").upper()
loglevel = LOG_LEVEL.lower()
# gunicorn's error and access loggers write JSON to standard error, as the app's own lines do.
# The root logger gets no handler here: the app installs its JSON handler when it starts.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": LOG_LEVEL, "handlers": []},
    "formatters": {
        "json": {"()": JsonFormatter},
        "access": {"()": AccessFormatter},
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json",
                  "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access",
                   "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "gunicorn.error": {"level": LOG_LEVEL, "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}
