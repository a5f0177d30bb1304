"""The shapes of what buyers tell us: a vote on an article, its comment, a search click.

Defined with the same library and messages as lookup.schema; the limits are the stores' own.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from lookup.insights_store import MAX_COMMENT
from lookup.insights_store import MAX_PAGE
from lookup.schema import pattern
from search.clicks import MAX_QUERY_CHARS
from search.clicks import MAX_URL_CHARS

VIEW_PATTERN = pattern(r"^[A-Za-z0-9_-]{16,64}$",
                       "must be 16 to 64 letters, digits, '-' or '_'")
# A site path as the built site serves it: no query, fragment, blanks, backslashes or `..`.
_SEGMENT = r"[^\s?#\\/\x00-\x1f\x7f]+"
PAGE_PATTERN = pattern(rf"^/(?:{_SEGMENT}/)*(?:{_SEGMENT}\.html)?$",
                       "must be a site path such as /returns/policy/")
# A path of this site, never another host's (`//host`).
SITE_PATH = pattern(r"^/(?:[^/\\\s]\S*)?$", "must be a path of this site, such as /refunds/")
# Text as buyers may send it: no control characters but tab and line breaks; SOME_TEXT also needs
# one character that is not blank.
_NO_CONTROL = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
ANY_TEXT = pattern(rf"^{_NO_CONTROL}*$", "must not contain control characters")
SOME_TEXT = pattern(rf"^{_NO_CONTROL}*[^\s\u0000-\u001f\u007f]{_NO_CONTROL}*$",
                    "must not be blank nor contain control characters")


class Closed(BaseModel):
    """A body whose every field is known: a typo is refused, not silently dropped."""

    model_config = ConfigDict(strict=True, extra="forbid")


View = Annotated[str, Field(pattern=VIEW_PATTERN, description=(
    "A random token the page makes for each view: one vote per view."))]
class FeedbackVote(Closed):
    """A vote on whether an article helped, with an optional comment."""

    page: Annotated[str, Field(
        min_length=1, max_length=MAX_PAGE, pattern=PAGE_PATTERN,
        description="The article's site path, e.g. /returns/policy/. Must be a page of the "
                    "built site when the service serves it.")]
    helpful: bool
    view: View
    comment: Annotated[str, Field(
        max_length=MAX_COMMENT, pattern=ANY_TEXT,
        description="Optional; emails and long numbers are removed.")] | None = None


class FeedbackComment(Closed):
    """The comment added to a page view's vote."""

    view: View
    comment: Annotated[str, Field(min_length=1, max_length=MAX_COMMENT, pattern=SOME_TEXT)]


class SearchClick(Closed):
    """A click on one of the help bar's results."""

    query: Annotated[str, Field(
        min_length=1, max_length=MAX_QUERY_CHARS, pattern=SOME_TEXT,
        description="The query whose result was opened, as /api/search echoed it.")]
    url: Annotated[str, Field(
        max_length=MAX_URL_CHARS, pattern=SITE_PATH,
        description="The opened section's site path, e.g. /refunds/#refund-times: what search "
                    "learns from.")] | None = None
