"""JSON log lines on stdout; request-scoped fields come from context variables."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
import structlog


def _render(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> str:
    return orjson.dumps(event_dict, default=str).decode()


class _AccessLog:
    """Where the one access line per request goes: the root handler's stream, written directly.

    The same JSON object structlog would render (event, level, ts, the context variables such as
    request_id, and the caller's fields) without the structlog → stdlib → ProcessorFormatter
    round trip, which costs more than many handlers do. Only fields the middleware passes are
    written; it never passes request or response bodies.
    """

    handler: logging.StreamHandler[TextIO] | None = None

    def write(self, fields: dict[str, Any]) -> None:
        handler = self.handler
        if handler is None or not logging.getLogger().isEnabledFor(logging.INFO):
            return
        line = {
            "event": "request",
            **structlog.contextvars.get_contextvars(),
            **fields,
            "level": "info",
            "ts": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        data = orjson.dumps(line, default=str).decode() + "\n"
        handler.acquire()
        try:
            handler.stream.write(data)
            handler.flush()
        finally:
            handler.release()


access_log = _AccessLog()


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library through one JSON renderer."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _render,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    access_log.handler = handler
    root.setLevel(level.upper())
    # Our middleware writes the one access line per request; uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
