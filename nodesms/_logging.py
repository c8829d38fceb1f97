"""The ``nodesms`` logger, and ``NODESMS_LOG`` to switch a handler on without code."""

from __future__ import annotations

import logging
import os

__all__ = ["configure_from_env", "logger"]

logger = logging.getLogger("nodesms")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def configure_from_env() -> None:
    """Attach a stderr handler when ``NODESMS_LOG=debug|info`` is set (once per process)."""
    level = _LEVELS.get(os.environ.get("NODESMS_LOG", "").strip().lower())
    if level is None or any(getattr(h, "_nodesms", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._nodesms = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
