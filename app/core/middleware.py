"""Pure-ASGI middleware: request context, access log, metrics, last-resort 500, body guard."""

from __future__ import annotations

import re
import time
import traceback
import uuid
from collections.abc import Iterable

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.errors import internal_error, problem
from app.core.logging import access_log, get_logger

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
log = get_logger("arrears.access")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    # path_format: the template without convertors (`{debt_id:uuid}` → `{debt_id}`).
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


async def _send_response(
    send: Send, response_body: bytes, status: int, headers: list[tuple[bytes, bytes]]
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": response_body})


class RequestContextMiddleware:
    """X-Request-ID on every response, one JSON access line, metrics, and problem+json 500s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = _header(scope, REQUEST_ID_HEADER)
        if supplied is not None and _VALID_REQUEST_ID.match(supplied):
            request_id = supplied.decode()
        else:
            request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the last line of defence: never a stack trace to the client
            frames = [
                f"{f.filename}:{f.lineno}:{f.name}" for f in traceback.extract_tb(exc.__traceback__)
            ]
            # The exception message may quote data; log its type and where it came from only.
            log.error("unhandled_error", error=type(exc).__name__, frames=frames[-8:])
            if not response_started:
                response = internal_error()
                status = 500
                headers = [*response.raw_headers, (REQUEST_ID_HEADER, request_id.encode())]
                await _send_response(send, bytes(response.body), 500, headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            metrics.observe(scope["method"], route, status, elapsed)
            access_log.write(
                {
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "principal_id": state.get("principal_id"),
                }
            )
            structlog.contextvars.unbind_contextvars("request_id")


_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyGuardMiddleware:
    """Refuse oversized bodies (413) and non-JSON bodies (415) before any handler runs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = 1 << 20,
        max_batch_body: int = 10 << 20,
        batch_paths: Iterable[str] = (r".*/batch$", r".*/import$", r"^/v1/compliance/callable$"),
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_batch_body = max_batch_body
        self.batch_paths = [re.compile(p) for p in batch_paths]

    def _limit(self, path: str) -> int:
        if any(p.match(path) for p in self.batch_paths):
            return self.max_batch_body
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self._limit(path)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, 413, f"The body exceeds {limit} bytes.")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, 413, f"The body exceeds {limit} bytes.")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and not self._is_json(scope, path):
            await self._refuse(send, 415, "Send the body as application/json.")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _is_json(self, scope: Scope, path: str) -> bool:
        raw = _header(scope, b"content-type")
        if raw is None:
            return False
        media = raw.split(b";", 1)[0].strip().lower()
        return media == b"application/json" or (
            media.startswith(b"application/") and media.endswith(b"+json")
        )

    async def _refuse(self, send: Send, status: int, detail: str) -> None:
        titles = {
            413: ("payload-too-large", "Request body too large"),
            415: ("unsupported-media-type", "Unsupported media type"),
        }
        slug, title = titles[status]
        response = problem(status, slug, title, detail)
        await _send_response(send, bytes(response.body), status, list(response.raw_headers))
