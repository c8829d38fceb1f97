"""Griffe extension: the reST that nodesms's docstrings use, in Markdown.

The docstrings are written for ``help()`` and Sphinx habits: roles (``:class:`~nodesms.Page```)
and ``::`` literal blocks. MkDocs would show the roles literally and run the code into the
text. Each role becomes inline code with the name a reader would type (the last part for ``~``
targets, the display text of ``text <target>``); each literal block a fenced Python block.
"""

from __future__ import annotations

import re
import textwrap
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


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def fence_literal_blocks(text: str) -> str:
    """``para::`` + blank line + an indented block → ``para:`` and a fenced code block."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::") and i + 2 < len(lines) and not lines[i + 1].strip():
            base = _indent(line)
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
                j += 1
            block = lines[i + 2 : j]
            if block and block[0].strip():
                head = line.rstrip()[:-2].rstrip()
                if head.strip():
                    out.append(head + ":")
                while block and not block[-1].strip():
                    block.pop()
                pad = " " * base
                code = textwrap.dedent("\n".join(block)).split("\n")
                out += ["", pad + "```python", *(pad + c if c else c for c in code), pad + "```"]
                out.append("")
                i = j
                continue
        out.append(line)
        i += 1
    return "\n".join(out)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles and literal blocks of every docstring as it is loaded."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_literal_blocks(ROLE.sub(_as_code, obj.docstring.value))
