"""The OpenAPI 3.1 document of the API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from lookup import feedback_bodies
from lookup import schema
from lookup.messages import LANGS
from lookup.next_steps import STEP_IDS
from lookup.orders import ITEM_KINDS
from lookup.orders import STATUSES
from search.query import MAX_LIMIT


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": [schema_type, "null"], **extra}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: str, **extra: Any) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}, **extra}


DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = _nullable("string", format="date-time")

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["status", "title", "detail"],
            "properties": {
                "status": {"type": "integer"},
                "title": {"type": "string"},
                "detail": {"type": "string",
                           "description": "What went wrong; a 400 starts with the field's name."},
            },
        }},
    },
    "Link": {
        "type": "object",
        "required": ["label", "url"],
        "properties": {"id": {"type": "string"}, "label": {"type": "string"},
                       "url": {"type": "string"}},
    },
    "Step": {
        "type": "object",
        "required": ["id", "title", "detail", "links"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "enum": list(STEP_IDS)},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "deadline": {"type": "string", "format": "date",
                         "description": "The last day the step can still be taken."},
            "due": {"type": "string", "description": "The deadline in words, counted from today: "
                                                     "'Return by Sat 6 Dec — 11 days left'."},
            "links": {"type": "array", "minItems": 1, "items": _ref("Link"),
                      "description": "The first link is the article section explaining it."},
        },
    },
    "TimelineEntry": {
        "type": "object",
        "required": ["at", "source", "status", "title"],
        "properties": {
            "at": DATE_TIME,
            "source": {"type": "string", "enum": ["order", "carrier"]},
            "status": {"type": "string"},
            "title": {"type": "string"},
            "location": {"type": "string"},
            "when": {"type": "string", "description": "`at` in words, in its own local time."},
        },
    },
    "OrderSummary": {
        "type": "object",
        "additionalProperties": False,
        "required": ["order_number", "email", "placed_at", "seller", "items"],
        "properties": {
            "order_number": {"type": "string"},
            "email": {"type": "string", "description": "Masked: b***r@example.com."},
            "placed_at": DATE_TIME,
            "seller": {"type": "object", "additionalProperties": False,
                       "properties": {"name": _nullable("string"),
                                      "country": _nullable("string")}},
            "items": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "properties": {"name": _nullable("string"), "quantity": {"type": "integer"},
                               "unit_price": _nullable("string"),
                               "kind": {"type": "string", "enum": list(ITEM_KINDS)}},
            }},
            "currency": _nullable("string"),
            "total": _nullable("string"),
            "payment": {"type": ["object", "null"], "additionalProperties": False,
                        "properties": {"method": _nullable("string"),
                                       "paid_at": NULLABLE_DATE_TIME}},
            "shipping": {"type": ["object", "null"], "additionalProperties": False,
                         "properties": {"carrier": _nullable("string"),
                                        "tracking_number": _nullable("string"),
                                        "tracking_url": _nullable("string"),
                                        "international": {"type": "boolean"},
                                        "shipped_at": NULLABLE_DATE_TIME,
                                        "delivered_at": NULLABLE_DATE_TIME}},
            "funding": {"type": ["object", "null"],
                        "properties": {"ends_at": NULLABLE_DATE_TIME}},
            "cancelled_at": NULLABLE_DATE_TIME,
            "refunded_at": NULLABLE_DATE_TIME,
            "completed_at": NULLABLE_DATE_TIME,
        },
    },
    "Contact": {
        "type": "object",
        "required": ["seller_name", "links"],
        "properties": {
            "seller_name": {"type": "string"},
            "links": {"type": "array", "items": {
                "allOf": [_ref("Link")],
                "properties": {"id": {"enum": ["seller_page", "seller_email", "support"]}},
            }},
        },
    },
    "LookupAnswer": {
        "type": "object",
        "required": ["order", "status", "timeline", "next_steps", "contact"],
        "additionalProperties": False,
        "properties": {
            "order": _ref("OrderSummary"),
            "status": {"type": "object", "required": ["code", "label"],
                       "properties": {"code": {"type": "string", "enum": list(STATUSES)},
                                      "label": {"type": "string"}}},
            "timeline": {"type": "array", "items": _ref("TimelineEntry"),
                         "description": "Latest first."},
            "next_steps": {"type": "array", "items": _ref("Step")},
            "contact": _ref("Contact"),
            # What a page prints, worked out here so that no page keeps its own words.
            "lang": {"type": "string", "enum": list(LANGS)},
            "heading": {"type": "string", "description": "'Order CM-100234: On its way'."},
            "placed": {"type": "string", "description": "'Placed Sat 6 Dec'."},
            "stages": {"type": "array", "description": "The progress tracker, in order.",
                       "items": {"type": "object", "required": ["id", "name", "state"],
                                 "properties": {"id": {"type": "string"},
                                                "name": {"type": "string"},
                                                "state": {"enum": ["done", "now", "todo"]}}}},
        },
    },
    "WebhookResult": {
        "type": "object",
        "required": ["event_id", "result"],
        "properties": {
            "event_id": {"type": "string"},
            "result": {"type": "string", "enum": ["applied", "older", "duplicate"],
                       "description": "older: the stored order was newer and kept its status."},
        },
    },
    "SearchAnswer": {
        "type": "object",
        "required": ["query", "results"],
        "properties": {
            "query": {"type": "string"},
            "results": {"type": "array", "items": {
                "type": "object",
                "required": ["title", "url", "snippet", "score"],
                "properties": {"title": {"type": "string"},
                               "url": {"type": "string",
                                       "description": "Site path with the section anchor."},
                               "snippet": {"type": "string"},
                               "score": {"type": "number"}},
            }},
            "suggestion": {"type": "string"},
            "lookup": {
                "type": "object",
                "description": "When the order lookup answers the question for the buyer's own "
                               "order: its page, to show before the results.",
                "required": ["url", "title", "snippet", "step"],
                "properties": {"url": {"type": "string"},
                               "title": {"type": "string"},
                               "snippet": {"type": "string"},
                               "step": {"type": "string",
                                        "description": "The next step that answers it, e.g. "
                                                       "track or return."}},
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "checks": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["status"],
                "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]},
                               "detail": {"type": "string"}},
            }},
        },
    },
}

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "integer"}}}

# -- operator insights (issue 9): page votes and search clicks ------------------------------------

INSIGHT_SCHEMAS: dict[str, Any] = {
    "FeedbackStored": {
        "type": "object",
        "required": ["stored"],
        "additionalProperties": False,
        "properties": {"stored": {"const": True}},
    },
    "ClickCounted": {
        "type": "object",
        "required": ["counted"],
        "additionalProperties": False,
        "properties": {"counted": {
            "type": "boolean",
            "description": "false when the query was not searched today (nothing counted)."}},
    },
}

_JSON_BODY_ERRORS = {
    "400": _error("Malformed body; the detail names the field."),
    "413": _error("Body too large."),
    "415": _error("Body is not JSON."),
    "429": {**_error("Too many requests from this client."), "headers": RETRY_AFTER},
}

INSIGHT_PATHS: dict[str, Any] = {
    "/api/feedback": {"post": {
        "operationId": "pageFeedback",
        "summary": "Vote on whether an article helped, once per page view",
        "description": "No cookies; nothing about the voter is stored.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("FeedbackVote")}}},
        "responses": {
            "201": _json("The vote is stored.", "FeedbackStored"),
            **_JSON_BODY_ERRORS,
            "409": _error("This page view has voted already; nothing stored."),
            "503": {**_error("The database is unavailable."), "headers": RETRY_AFTER},
        },
    }},
    "/api/feedback/comment": {"post": {
        "operationId": "pageFeedbackComment",
        "summary": "Add the optional comment to a page view's vote, once",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("FeedbackComment")}}},
        "responses": {
            "200": _json("The comment is stored.", "FeedbackStored"),
            **_JSON_BODY_ERRORS,
            "404": _error("This page view has not voted."),
            "409": _error("This page view has sent its comment already."),
            "503": {**_error("The database is unavailable."), "headers": RETRY_AFTER},
        },
    }},
    "/api/search/click": {"post": {
        "operationId": "searchClick",
        "summary": "Count a click on a search result (query text only)",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("SearchClick")}}},
        "responses": {
            "200": _json("Whether the click was counted.", "ClickCounted"),
            **_JSON_BODY_ERRORS,
        },
    }},
}


# The request bodies: generated from their one definition in lookup.schema.
BODIES = (schema.LookupRequest, schema.WebhookEvent, feedback_bodies.FeedbackVote,
          feedback_bodies.FeedbackComment, feedback_bodies.SearchClick)


def body_schemas() -> dict[str, Any]:
    """The request bodies' schemas and the parts they refer to, named by their models."""
    _, document = models_json_schema([(model, "validation") for model in BODIES],
                                     ref_template="#/components/schemas/{model}")
    return document["$defs"]


def openapi_document() -> dict[str, Any]:
    """The API described in OpenAPI 3.1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Help center API",
            "version": "1.0.0",
            "description": "Order lookup, signed order webhooks, article search and health.",
        },
        "paths": {
            "/api/orders/lookup": {"post": {
                "operationId": "lookupOrder",
                "summary": "Look up one order by its number and the buyer's email",
                "description": "Both travel in the body, never in the URL. Every miss gives the "
                               "same 404. Answers carry Cache-Control: no-store.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("LookupRequest")}}},
                "parameters": [{"name": "Accept-Language", "in": "header", "required": False,
                                "schema": {"type": "string"},
                                "description": "Chooses the answer's language (en or ko) "
                                               "when the body has no lang."}],
                "responses": {
                    "200": _json("The order, its timeline, next steps and contacts.",
                                 "LookupAnswer"),
                    "400": _error("Malformed body; the detail names the field."),
                    "404": _error("No order with this number and email."),
                    "413": _error("Body too large."),
                    "415": _error("Body is not JSON."),
                    "429": {**_error("Too many failed lookups."), "headers": RETRY_AFTER},
                    "503": {**_error("The order store is unavailable."), "headers": RETRY_AFTER},
                },
            }},
            "/api/webhooks/orders": {"post": {
                "operationId": "orderWebhook",
                "summary": "Receive a signed order event from the marketplace",
                "description": "Header X-Helpcenter-Signature: t=<unix seconds>,v1=<hex "
                               "HMAC-SHA256 of '<t>.<raw body>'>, at most 300 s old. Applied "
                               "once per event_id; an older event never moves an order back.",
                "parameters": [{"name": "X-Helpcenter-Signature", "in": "header",
                                "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("WebhookEvent")}}},
                "responses": {
                    "200": _json("Applied, older than the stored order, or a duplicate.",
                                 "WebhookResult"),
                    "400": _error("Malformed event; the detail names the field."),
                    "401": _error("Missing, wrong or stale signature; nothing stored."),
                    "413": _error("Body too large."),
                    "415": _error("Body is not JSON."),
                    "503": {**_error("The order store is unavailable."), "headers": RETRY_AFTER},
                },
            }},
            "/api/search": {"get": {
                "operationId": "search",
                "summary": "Search the help articles",
                "parameters": [
                    {"name": "q", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "The question; missing or blank gives no results."},
                    {"name": "limit", "in": "query", "required": False,
                     # Blank means the default, like a missing one.
                     "schema": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 0}],
                                "default": 10},
                     "description": f"How many results at most; kept between 1 and {MAX_LIMIT}."},
                    {"name": "lang", "in": "query", "required": False,
                     "schema": {"type": "string", "examples": ["ko", "en", "ko-KR"]},
                     "description": "The articles searched: `ko` the Korean pages (results under "
                                    "/ko/), `en` the English ones; a region (`ko-KR`) is ignored. "
                                    "Without it a query in Hangul searches the Korean pages. "
                                    "Any other language is refused (400)."},
                ],
                "responses": {
                    "200": _json("Matching article sections, best first.", "SearchAnswer"),
                    "400": _error("Bad query parameters."),
                    "429": _error("Too many searches from this client; see Retry-After."),
                    "503": _error("The search index is unavailable."),
                },
            }},
            "/api/health": {"get": {
                "operationId": "health",
                "summary": "Whether the service and its parts work",
                "responses": {"200": _json("Status of each part.", "Health")},
            }},
            **INSIGHT_PATHS,
            "/api/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {
                                          "type": "object"}}}}},
            }},
        },
        "components": {"schemas": {**SCHEMAS, **INSIGHT_SCHEMAS, **body_schemas()}},
    }
