"""The README documents every setting the service reads."""

from __future__ import annotations

import re

from flask import Flask

from lookup import PROJECT_DIR
from lookup import create_app

# Set by Flask-Limiter itself from the documented HELPCENTER_RATELIMIT_STORAGE_URL.
DERIVED = {"RATELIMIT_ENABLED", "RATELIMIT_STRATEGY", "RATELIMIT_STORAGE_URI"}


def test_every_setting_is_in_the_readme(tmp_path):
    """Each config key the app defines appears in the README as HELPCENTER_<KEY>."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'o.sqlite'}"})
    settings = set(app.config) - set(Flask.default_config) - DERIVED - {"TESTING"}
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`HELPCENTER_([A-Z_]+)`", readme))
    assert settings - documented == set()
