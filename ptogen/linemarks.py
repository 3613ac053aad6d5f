"""`#line` directives in generated C++, so the compiler names the template line the author wrote.

A C++ error in generated code is only useful if it points at the template or hook file that produced the
line. The generator cannot know that from the output alone: `{% if %}` lines vanish (trim_blocks), a hook
block's text replaces the base's, `{{ super() }}` splices the base back in, loops repeat lines. So the
source tells us instead:

1. `LineMarks.preprocess` appends an invisible mark `<file, line>` to every source line whose newline
   reaches the output — exactly the newlines the lexer keeps as template data, so whitespace control
   (`-%}`, lstrip/trim) and everything else render as before (a test holds output byte-identical with
   and without marks). A mark travels with its line through inheritance, `super()` and loops.
2. `directives` reads the marks back out of the rendered text: each output line learns the source line it
   came from, and a `#line N "file"` is written only where the next line is not simply the one after the
   previous (a block start or end, a vanished statement line, a collapsed blank run). Blank lines carry no
   code, so they never force a directive.

A line whose newline came from an expression's value (not template data) has no mark and is counted on
from the previous line; no template writes multi-line values today.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from jinja2.ext import Extension

# Control characters no template writes: start, separator, end.
_START, _SEP, _END = "\x02", "\x1f", "\x03"
_MARK = re.compile(f"{_START}([^{_SEP}]*){_SEP}(\\d+){_END}")


def tokens(environment, source: str, name: str | None = None) -> Iterator[tuple[int, int, str, str]]:
    """The lexer's tokens of `source` with their offsets: (offset, line, kind, value). The lexer drops only
    the spaces lstrip_blocks removes before a tag, so each token is found at or after the previous one."""
    position = 0
    for line, kind, value in environment.lexer.tokeniter(source, name):
        start = source.find(value, position) if value else position
        yield start, line, kind, value
        position = start + len(value)


def data_line_ends(environment, source: str, name: str | None = None) -> set[int]:
    """The lines of `source` whose newline is template data (reaches the output)."""
    ends: set[int] = set()
    for _, line, kind, value in tokens(environment, source, name):
        if kind == "data":
            ends.update(line + index for index in range(value.count("\n")))
    return ends


class LineMarks(Extension):
    """Marks each output-reaching source line with its template's file and line number (see the module doc).
    The file, not the template name: a hook file reached through a prefix loader is compiled under its name
    inside the hook folder, which is also a base template's name."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        source = source.replace("\r\n", "\n")
        ends = data_line_ends(self.environment, source, name)
        lines = source.split("\n")
        for number in ends:
            lines[number - 1] += f"{_START}{filename or name}{_SEP}{number}{_END}"
        return "\n".join(lines)


def strip(text: str) -> list[tuple[str, tuple[str, int] | None]]:
    """Each line of rendered `text` without marks, with the (template file, line) it came from (the last mark
    on the line: its newline's), or None."""
    out: list[tuple[str, tuple[str, int] | None]] = []
    for line in text.split("\n"):
        found = _MARK.findall(line)
        source = (found[-1][0], int(found[-1][1])) if found else None
        out.append((_MARK.sub("", line), source))
    return out


def directives(lines: list[tuple[str, tuple[str, int] | None]], spell: Callable[[str], str]) -> list[str]:
    """The lines with a `#line` directive wherever the source does not simply continue; `spell` turns a
    template file into the path the directive shows."""
    out: list[str] = []
    expected: tuple[str, int] | None = None  # what the compiler would call the next line without a directive
    for text, source in lines:
        # A directive after a line ending in a backslash would join that line (a multi-line macro): wait.
        continued = bool(out) and out[-1].endswith("\\")
        if source is not None and source != expected and text.strip() and not continued:
            out.append(f'#line {source[1]} "{spell(source[0])}"')
            expected = source
        out.append(text)
        if expected is not None:
            expected = (expected[0], expected[1] + 1)
    return out


def has_marks(text: str) -> bool:
    return _MARK.search(text) is not None
