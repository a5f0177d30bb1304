"""The reference for lookup throughput: a bare Flask JSON endpoint, served the same way.

It parses the same JSON request and answers with a fixed lookup answer of the same size (read
once from BENCH_REFERENCE_ANSWER), so the ratio isolates what a lookup adds: the database, the
next-steps engine and our middleware.

    gunicorn -w 2 "bench.reference_app:create_app()"
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask import Response
from flask import jsonify
from flask import request


def create_app() -> Flask:
    """A Flask app with one POST /api/orders/lookup route that echoes a fixed answer."""
    app = Flask(__name__)
    answer_file = os.environ.get("BENCH_REFERENCE_ANSWER")
    answer: dict[str, Any] = (json.loads(Path(answer_file).read_text(encoding="utf-8"))
                              if answer_file else {"status": "ok"})

    @app.post("/api/orders/lookup")
    def lookup() -> Response:
        """Parse the JSON body, as the real endpoint does, and answer with the fixed answer."""
        body = request.get_json()
        if not isinstance(body, dict):
            return jsonify({"error": "bad body"}), 400
        return jsonify(answer)

    return app
