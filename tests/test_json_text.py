"""JSON read and written fast: the same values, and the same errors, as the standard library."""

from __future__ import annotations

import json
import random
from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from lookup import create_app
from lookup import json_text

# Texts where orjson alone would differ from the standard parser: big integers, NaN and
# infinities, unpaired surrogates, a byte-order mark; and ordinary ones.
TEXTS = [
    b'{"n": 123456789012345678901234567890}',
    b'{"n": [1, {"m": -98765432109876543210}]}',
    b'{"x": NaN, "y": -Infinity}',
    b'[1e400]',
    b'{"s": "\\ud800"}',
    '{"s": "\\udfff tail"}',
    b'\xef\xbb\xbf{"bom": 1}',
    b'{"a": 1, "a": 2}',
    '{"k": "\ubc18\ud488 \\u0000 \\u2028"}',
    b'{"f": 0.1, "g": -0.0, "h": 1e16}',
    b'  {"order_number": "BN-1", "email": "a@b.example"}  ',
]
MALFORMED = [b"", b"{", b'{"a": }', b"[1,]", b"nul", b'{"a" 1}', "\ud800", b"\xff"]


@pytest.mark.parametrize("text", TEXTS)
def test_loads_gives_the_standard_parsers_value(text):
    ours, standard = json_text.loads(text), json.loads(text)
    assert repr(ours) == repr(standard)  # repr: NaN equals itself, -0.0 is not 0, types count


@pytest.mark.parametrize("text", MALFORMED)
def test_loads_refuses_what_the_standard_parser_refuses(text):
    with pytest.raises(Exception) as standard:
        json.loads(text)
    with pytest.raises(type(standard.value)):
        json_text.loads(text)


def test_loads_agrees_on_random_documents():
    rng = random.Random(7)

    def value(depth: int):
        kind = rng.randrange(8 if depth < 4 else 5)
        if kind == 0:
            return rng.choice([0, -1, 2**63, 2**64 + 1, -(2**70), rng.randrange(-10**6, 10**6)])
        if kind == 1:
            return rng.choice([0.5, 1e300, -2.5e-8, 3.0])
        if kind == 2:
            return "".join(chr(rng.choice([65, 0xAC00, 0x1F600, 0x2028, 34, 92])) for _ in
                           range(rng.randrange(6)))
        if kind == 3:
            return rng.choice([True, False, None])
        if kind == 4:
            return rng.choice(["x", "\ubc18\ud488"])
        if kind < 7:
            return {f"k{i}": value(depth + 1) for i in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    for _ in range(500):
        document = {"d": value(0)}
        text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
        assert repr(json_text.loads(text)) == repr(json.loads(text))
        assert repr(json_text.loads(text.encode())) == repr(json.loads(text))


def test_holds_float_finds_a_float_anywhere():
    assert json_text.holds_float(1.5)
    assert json_text.holds_float({"a": [{"b": [1, 2, {"c": 0.0}]}]})
    assert not json_text.holds_float({"a": [{"b": [1, 2, {"c": "0.0"}]}], "t": True})
    assert not json_text.holds_float("1.5")


@pytest.fixture()
def app(tmp_path):
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'orders.sqlite'}",
                       "SEARCH_INDEX_DIR": str(tmp_path / "none")})


@pytest.mark.parametrize("value", [
    {"b": 1, "a": ["\ubc18\ud488", None, True, 2.5]},
    {"order": {"total": 10, "when": "2026-12-01T10:00:00+09:00"}, "z": [], "y": {}},
    {"surrogate": "\ud800 kept"},
    {"big": 2**70},
    {1: "an integer key", 2: "another"},
    {"day": date(2026, 12, 1), "at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC)},
])
def test_the_apps_json_writes_the_values_flask_wrote(app, value):
    from flask.json.provider import DefaultJSONProvider

    with app.app_context():
        ours = app.json.response(value).get_data()
        flask_text = DefaultJSONProvider(app).response(value).get_data()
    assert json.loads(ours) == json.loads(flask_text)
    if b"\\u" not in flask_text:
        # Where Flask had nothing to escape, the very same text: compact, keys sorted.
        assert ours == flask_text


def test_the_apps_json_keeps_flasks_errors(app):
    with app.app_context(), pytest.raises(TypeError):
        app.json.dumps({"not json": object()})
