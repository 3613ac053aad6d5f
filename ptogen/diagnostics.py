"""A compiler's output cut into diagnostics, so that a build shows each distinct one once.

One build compiles the same file several times (generated/<arch>/*.cpp once per runtime variant, a scene's
kernel once per arch), and every compile of a broken file says the same thing. A diagnostic is one message
line (`file:line:col: error: ...`) with what GCC prints around it: the context lines before it ("In file
included from ...", "file: In function 'f':") and its notes, source excerpt and caret after it. Its text is
kept verbatim, so a location a `#line` directive gave (a template's file and line) survives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOTE = re.compile(r":\d+(:\d+)?: note: |^\S+: note: ")


def _is_context(line: str) -> bool:
    """A line that introduces the message after it: include chains and "In function 'f':" headers."""
    return line.startswith("In file included from") or line.rstrip().endswith(":")


def split(output: str) -> list[str]:
    """The diagnostics of one command's output, in order; each one's lines joined by newlines."""
    blocks: list[list[str]] = []
    has_message = False  # the current block already holds its message line
    for line in output.splitlines():
        top = line[:1] not in ("", " ", "\t")
        if top and not _NOTE.search(line):
            if has_message or not blocks:
                blocks.append([])
                has_message = False
            blocks[-1].append(line)
            has_message = has_message or not _is_context(line)
        else:
            if not blocks:
                blocks.append([])
            blocks[-1].append(line)
    return ["\n".join(block).rstrip() for block in blocks if "".join(block).strip()]


def distinct(blocks: Iterable[str]) -> list[str]:
    """Each diagnostic once, in the order first seen."""
    return list(dict.fromkeys(blocks))
