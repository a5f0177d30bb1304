"""Search for the help center: index the built site, answer buyers' questions.

Everything Whoosh-specific stays inside this package; callers use build_index and open_index.
"""

from __future__ import annotations

from search.indexer import build_index
from search.query import IndexUnavailable
from search.query import SearchIndex
from search.query import open_index

__all__ = ["IndexUnavailable", "SearchIndex", "build_index", "open_index"]
