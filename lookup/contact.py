"""The contact block of a lookup answer: the seller, its contact page and email, and support."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from lookup import messages
from lookup.messages import DEFAULT_LANG

DEFAULT_CONTACT_SELLER_URL = "https://marketplace.example/orders/{order_number}/contact"
DEFAULT_SUPPORT_URL = "/sellers/contact/#contact-support"


# What quote(text, safe="") writes for each ASCII character, for str.translate.
_ASCII_QUOTED = {code: quote(chr(code), safe="") for code in range(128)}


def quote_part(text: str) -> str:
    """quote(text, safe=""): percent-encoded, every character but letters, digits and `_.-~`."""
    # A mailto link quotes a few sentences per lookup; translating ASCII is one pass in C.
    return text.translate(_ASCII_QUOTED) if text.isascii() else quote(text, safe="")


# RFC 6068: line breaks in a mailto body are written CR LF.
QUOTED_CRLF = quote_part("\r\n")


def seller_page_url(template: str, order_number: str) -> str:
    """The marketplace's contact-seller page for an order, from the configured URL template."""
    return template.replace("{order_number}", quote_part(order_number))


def mailto_url(seller_email: str, seller_name: str, order_number: str, status_label: str,
               lang: str = DEFAULT_LANG) -> str:
    """A mailto: link with the subject and body already filled in with the order."""
    if NUMBER_MARK in seller_email or NUMBER_MARK in seller_name or NUMBER_MARK in status_label:
        return _mailto_url(seller_email, seller_name, order_number, status_label, lang)
    # Quoting goes character by character, so the link of every order of a seller at a status
    # is worded and quoted once, and only the order number is quoted into it.
    link = _mailto_url_at_a_status(seller_email, seller_name, status_label, lang)
    return link.replace(QUOTED_NUMBER_MARK, quote_part(order_number))


# Where the order number goes in a link worded once for many orders: NUL, which no message, name,
# address or label holds (checked above), quoted as %00, which quoting writes for nothing else.
NUMBER_MARK = "\0"
QUOTED_NUMBER_MARK = quote_part(NUMBER_MARK)


@lru_cache(maxsize=1024)
def _mailto_url_at_a_status(seller_email: str, seller_name: str, status_label: str,
                            lang: str) -> str:
    """A seller's mailto link at a status, with NUMBER_MARK for the order number."""
    return _mailto_url(seller_email, seller_name, NUMBER_MARK, status_label, lang)


def _mailto_url(seller_email: str, seller_name: str, order_number: str, status_label: str,
                lang: str) -> str:
    """The mailto link, worded and quoted whole."""
    subject = messages.text(lang, "contact.mail_subject", number=order_number)
    question = messages.text(lang, "contact.mail_question", number=order_number,
                             label=status_label)
    # The body is the greeting, an empty line, the question and an empty line.
    address, greeting = _seller_mail(seller_email, seller_name, lang)
    return (f"mailto:{address}?subject={quote_part(subject)}"
            f"&body={greeting}{QUOTED_CRLF * 2}{quote_part(question)}{QUOTED_CRLF * 2}")


@lru_cache(maxsize=1024)
def _seller_mail(seller_email: str, seller_name: str, lang: str) -> tuple[str, str]:
    """A seller's address and the greeting to it, quoted for a mailto link."""
    greeting = messages.text(lang, "contact.mail_greeting", name=seller_name)
    return quote(seller_email, safe="@"), quote_part(greeting)


def contact_block(order: Mapping[str, Any], status_label: str, *,
                  seller_url_template: str = DEFAULT_CONTACT_SELLER_URL,
                  support_url: str = DEFAULT_SUPPORT_URL,
                  lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """The seller's name and the links to reach the seller, or support when the seller is silent."""
    seller = order.get("seller") or {}
    name = seller.get("name") or messages.text(lang, "contact.the_seller")
    number = order["order_number"]
    links = [{"id": "seller_page", "label": messages.shared(lang, "contact.message", name=name),
              "url": seller_page_url(seller_url_template, number)}]
    if seller.get("email"):
        links.append({"id": "seller_email",
                      "label": messages.shared(lang, "contact.email", name=name),
                      "url": mailto_url(seller["email"], name, number, status_label, lang)})
    # Support's page is this site's: a Korean answer sends the buyer to the Korean one.
    if support_url.startswith("/"):
        support_url = messages.site_path(lang, support_url)
    links.append({"id": "support", "label": messages.text(lang, "contact.support"),
                  "url": support_url})
    return {"seller_name": name, "links": links}
