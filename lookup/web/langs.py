"""The buyer's language for a request: asked for in the body or form, else Accept-Language."""

from __future__ import annotations

from flask import g
from flask import request

from lookup import messages
from lookup.messages import DEFAULT_LANG
from lookup.messages import LANGS
from lookup.messages import pick_lang


def request_lang(asked: object = None) -> str:
    """What the body or form asked for, else what the browser prefers, else English.

    The choice is kept on the request, so its errors (a miss, a 429) speak the same language.
    """
    lang = pick_lang(asked) or g.get("lang")
    if lang is None:
        # Most requests send no Accept-Language (the widget names its language): nothing to parse.
        if request.environ.get("HTTP_ACCEPT_LANGUAGE"):
            lang = pick_lang(request.accept_languages.best_match(LANGS))
        lang = lang or DEFAULT_LANG
    g.lang = lang
    return lang


def localized_error(status: int, title: str, detail: str) -> tuple[str, str]:
    """An error's title and detail in the request's language; English ones are left as raised.

    A detail naming a field ("email: ...") keeps the name first, so a form can mark the field.
    """
    lang = g.get("lang")
    if lang is None or lang == DEFAULT_LANG:
        return title, detail
    catalogue = messages.entry(lang, "errors")
    title = catalogue["titles"].get(str(status), title)
    field, colon, _ = detail.partition(":")
    if status == 400 and colon and field in catalogue["fields"]:
        return title, f"{field}: {catalogue['fields'][field]}"
    return title, catalogue["details"].get(str(status), detail)
