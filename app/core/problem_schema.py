"""The documented shape of every error body (RFC 9457)."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`urn:arrears:problem:<slug>`"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Validation errors, each naming the field by a JSON Pointer.",
            "items": {
                "type": "object",
                "required": ["pointer", "message"],
                "properties": {
                    "pointer": {"type": "string", "description": "JSON Pointer, fragment form"},
                    "message": {"type": "string"},
                    "in": {"type": "string", "enum": ["query", "path", "header"]},
                },
            },
        },
    },
    "additionalProperties": True,
}
