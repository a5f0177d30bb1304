"""MkDocs hook: quiet one mkdocs-static-i18n warning that this site answers in theme/main.html.

The plugin warns that Material's instant navigation keeps the header, and with it the language
selector, of the first page a reader opened. theme/main.html points the selector at the head's
hreflang links, which Material replaces on every navigation, so the selector always names the
current page's twin. Every other warning still fails a strict build.
"""

from __future__ import annotations

import logging

# The plugin's logger and the one message of it that main.html makes moot.
I18N_LOGGER = "mkdocs.plugins.mkdocs_static_i18n.reconfigure"
INSTANT_WARNING = "language switcher contextual link is not compatible"


class DropInstantNavigationWarning(logging.Filter):
    """Drop the plugin's navigation.instant warning; pass everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return INSTANT_WARNING not in record.getMessage()


def on_startup(*, command: str, dirty: bool) -> None:
    """Install the filter once per process, before the plugin configures its first build."""
    logger = logging.getLogger(I18N_LOGGER)
    if not any(isinstance(f, DropInstantNavigationWarning) for f in logger.filters):
        logger.addFilter(DropInstantNavigationWarning())
