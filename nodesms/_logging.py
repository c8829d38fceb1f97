"""The ``nodesms`` logger, and ``NODESMS_LOG`` to switch a handler on without code."""

from __future__ import annotations

import logging
import os

__all__ = ["attach_stderr_handler", "configure_from_env", "logger"]

logger = logging.getLogger("nodesms")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def configure_from_env() -> None:
    """Attach a stderr handler when ``NODESMS_LOG=debug|info`` is set (once per process)."""
    level = _LEVELS.get(os.environ.get("NODESMS_LOG", "").strip().lower())
    if level is not None:
        attach_stderr_handler(level)


def attach_stderr_handler(level: int) -> None:
    """Log the ``nodesms`` logger to stderr from ``level`` on (one handler, however often)."""
    if not any(getattr(h, "_nodesms", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._nodesms = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
