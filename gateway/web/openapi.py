"""`GET /api/openapi.json`: the API described in OpenAPI 3.1 (its schemas are JSON Schema
2020-12, checked against real answers in the tests). Open without a token: it holds no data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

openapi = Blueprint("openapi", __name__)

_TIME = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}
_ERROR = {"description": "An error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}


def _ticket_schema() -> dict[str, Any]:
    props: dict[str, Any] = {
        "number": {"type": "string", "pattern": "^[A-Za-z-]*[0-9]{6}$"},
        "channel": {"enum": ["email", "voice", "portal"]},
        "route": {"type": "string"},
        "status": {"enum": ["new", "open", "pending", "resolved", "closed"]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 4},
        "priority_name": {"type": "string"},
        "requester_name": _TEXT, "company": _TEXT,
        "callback_numbers": {"type": "array", "items": {"type": "string", "pattern": r"^\+"}},
        "email": _TEXT, "subject": _TEXT, "description": _TEXT, "line": _TEXT,
        "source_id": _TEXT, "received_at": {"type": "string", "format": "date-time"},
        "first_received_at": {"type": "string", "format": "date-time"}, "region": _TEXT,
        "after_hours": {"type": "boolean"},
        "first_response_due": _TIME, "resolution_due": _TIME,
        "flags": {"type": "array", "items": {"type": "string"}},
        "field_sources": {"type": "object", "additionalProperties": {"type": "string"}},
        "created_at": _TIME, "updated_at": _TIME,
        "assignee": _TEXT, "level": {"type": "integer", "minimum": 1, "maximum": 3},
        "triaged_at": _TIME, "first_response_at": _TIME, "resolution": _TEXT,
        "resolved_at": _TIME,
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    }
    return {"type": "object", "required": sorted(props), "properties": props,
            "additionalProperties": False}


def _schemas() -> dict[str, Any]:
    return {
        "Ticket": _ticket_schema(),
        "Event": {"type": "object", "required": ["at", "kind", "actor", "detail"],
                  "properties": {"at": {"type": "string", "format": "date-time"},
                                 "kind": {"type": "string"}, "actor": _TEXT,
                                 "detail": {"type": "object"}}},
        "TicketPage": {"type": "object", "required": ["tickets", "next_cursor"],
                       "additionalProperties": False, "properties": {
                           "tickets": {"type": "array",
                                       "items": {"$ref": "#/components/schemas/Ticket"}},
                           "next_cursor": _TEXT}},
        "Rejection": {"type": "object", "required": [
            "id", "message_id", "sender", "missing", "reason", "received_at",
            "resolved_ticket"], "properties": {
                "id": {"type": "integer"}, "message_id": _TEXT, "sender": _TEXT,
                "missing": {"type": "array", "items": {"type": "string"}}, "reason": _TEXT,
                "received_at": {"type": "string", "format": "date-time"},
                "resolved_ticket": _TEXT}},
        "TicketPatch": {"type": "object", "additionalProperties": False, "minProperties": 1,
                        "properties": {
                            "status": {"enum": ["new", "open", "pending", "resolved", "closed"]},
                            "priority": {"type": "integer", "minimum": 1, "maximum": 4},
                            "level": {"type": "integer", "minimum": 1, "maximum": 3},
                            "assignee": _TEXT, "resolution": {"type": "string"}}},
        "Note": {"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "minLength": 1}, "source": {"type": "string"}}},
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string"}}},
    }


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _param(name: str, schema: dict[str, Any], where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": schema}


def _paths() -> dict[str, Any]:
    number = _param("number", {"type": "string"}, "path")
    errors = {"401": _ERROR, "404": _ERROR}
    return {
        "/api/tickets": {"get": {
            "summary": "Tickets by priority, then oldest first, a page at a time",
            "parameters": [
                _param("status", {"enum": ["new", "open", "pending", "resolved", "closed"]}),
                _param("priority", {"type": "integer"}), _param("channel", {"type": "string"}),
                _param("company", {"type": "string"}), _param("assignee", {"type": "string"}),
                _param("since", {"type": "string", "format": "date-time"}),
                _param("all", {"enum": ["1", "true", "yes"]}),
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                                 "default": 100}),
                _param("cursor", {"type": "string"})],
            "responses": {"200": _json("TicketPage", "One page"), "400": _ERROR,
                          "401": _ERROR}}},
        "/api/tickets/{number}": {
            "get": {"summary": "One ticket with its timeline", "parameters": [number],
                    "responses": {"200": _json("Ticket", "The ticket"), **errors}},
            "patch": {"summary": "Change status, priority, level, assignee or resolution",
                      "parameters": [number], "requestBody": {"required": True, "content": {
                          "application/json": {"schema": {
                              "$ref": "#/components/schemas/TicketPatch"}}}},
                      "responses": {"200": _json("Ticket", "The ticket now"), "400": _ERROR,
                                    "422": _ERROR, **errors}}},
        "/api/tickets/{number}/events": {"post": {
            "summary": "Add a note from another system", "parameters": [number],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Note"}}}},
            "responses": {"201": _json("Ticket", "The ticket with the note"), "400": _ERROR,
                          **errors}}},
        "/api/rejections": {"get": {
            "summary": "Messages that could not become tickets, newest first",
            "parameters": [_param("limit", {"type": "integer", "minimum": 1, "maximum": 1000})],
            "responses": {"200": {"description": "Rejections", "content": {"application/json": {
                "schema": {"type": "array",
                           "items": {"$ref": "#/components/schemas/Rejection"}}}}},
                "401": _ERROR}}},
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "intake-gateway API", "version": "1",
                 "description": "Times are ISO 8601 in the desk's zone, with its offset."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": _schemas()},
        "security": [{"bearer": []}],
        "paths": _paths(),
    }


@openapi.get("/api/openapi.json")
def serve_document() -> Response:
    """The document, open to all."""
    return jsonify(document())
