"""The README documents every setting; the site builds the same on ProperDocs as on MkDocs."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def readme_settings() -> set[str]:
    """Every HELPCENTER_ variable the README names."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"`(HELPCENTER_[A-Z_]+)`", readme))


def test_the_environment_file_example_lists_every_setting_in_the_readme():
    """deploy/helpcenter.env.example names each setting, set or commented out with its default."""
    example = (PROJECT_DIR / "deploy" / "helpcenter.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?(HELPCENTER_[A-Z_]+)=", example, re.M))
    assert readme_settings() - listed == set()
    assert listed - readme_settings() == set(), "documented in the example, not in the README"


# Settings read when the site is built; each test below sets them itself.
BUILD_SETTINGS = ("HELPCENTER_REPO_URL", "HELPCENTER_EDIT_URI", "HELPCENTER_API_BASE")
GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')


def build(core: str, site_dir: Path, **settings: str) -> Path:
    """Build the project's site strictly with `python -m <core>` and the given build settings."""
    env = {k: v for k, v in os.environ.items() if k not in BUILD_SETTINGS} | settings
    result = subprocess.run(
        [sys.executable, "-m", core, "build", "--strict", "--quiet",
         "--config-file", str(PROJECT_DIR / "mkdocs.yml"), "--site-dir", str(site_dir)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return site_dir


def comparable(path: Path) -> bytes:
    """A built file's content, without the generator tag (the one thing the cores differ in)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return GENERATOR.sub(b"", data)


@pytest.fixture(scope="module")
def properdocs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built by ProperDocs with no repository address."""
    return build("properdocs", tmp_path_factory.mktemp("properdocs"))


@pytest.mark.slow
def test_properdocs_builds_the_same_site_as_mkdocs_apart_from_the_generator_tag(
        properdocs_site: Path, tmp_path: Path):
    """Material, the theme overrides and the hooks run unchanged on the maintained core."""
    mkdocs_site = build("mkdocs", tmp_path / "mkdocs")
    files = sorted(p.relative_to(mkdocs_site) for p in mkdocs_site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(properdocs_site)
                           for p in properdocs_site.rglob("*") if p.is_file())
    different = [str(f) for f in files
                 if comparable(mkdocs_site / f) != comparable(properdocs_site / f)]
    assert different == []
    page = (properdocs_site / "index.html").read_text(encoding="utf-8")
    assert 'content="mkdocs-ProperDocs ' in page


@pytest.mark.slow
def test_the_edit_button_needs_a_repository_address(properdocs_site: Path, tmp_path: Path):
    """Without HELPCENTER_REPO_URL no page links to an editor; with it, each links its source."""
    assert not [p for p in properdocs_site.rglob("*.html") if 'rel="edit"' in p.read_text()]
    site = build("properdocs", tmp_path / "site",
                 HELPCENTER_REPO_URL="https://github.com/example/helpcenter",
                 HELPCENTER_EDIT_URI="edit/main/docs/")
    page = (site / "returns" / "policy" / "index.html").read_text(encoding="utf-8")
    assert ('href="https://github.com/example/helpcenter/edit/main/docs/returns/policy.md" '
            'title="Edit this page"') in page
