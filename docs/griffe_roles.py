"""Griffe extension: Sphinx cross-reference roles in docstrings shown as code.

nodesms's docstrings use roles (``:class:`~nodesms.Page```) that read well in ``help()``;
MkDocs would show them literally. Each becomes inline code with the name a reader would type
(the last part for ``~`` targets, the display text of ``text <target>``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):`([^`]+)`")


def _as_code(match: re.Match[str]) -> str:
    target = match.group(1)
    shown = re.fullmatch(r"(.+?)\s*<[^>]+>", target)
    if shown is not None:
        target = shown.group(1)
    elif target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring as it is loaded."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_as_code, obj.docstring.value)
