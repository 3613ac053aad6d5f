"""One parse of a template file: its syntax tree and each top-level `{% block %}` with its exact source.

The loader validates a hook file from this parse, the scaffolder copies an arch's hook blocks from it, and
error messages name the block holding a line through it — one reading of a hook file, by Jinja's own
parser and lexer, so no two tools can disagree about where a block starts or ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from jinja2 import nodes

from ptogen import linemarks


@dataclass(frozen=True)
class Block:
    name: str
    line: int  # of the `{% block %}` tag
    end_line: int  # of its `{% endblock %}` tag
    text: str  # the source from the opening tag's `{%` to the closing tag's `%}`, verbatim
    required: bool


@dataclass(frozen=True)
class Parsed:
    ast: nodes.Template
    blocks: dict[str, Block]  # the outermost blocks, in source order (a nested block travels in its parent)

    def block_at(self, line: int) -> Block | None:
        """The outermost block whose tags enclose `line`."""
        return next((b for b in self.blocks.values() if b.line <= line <= b.end_line), None)


def parse(env: jinja2.Environment, source: str, name: str | None = None, filename: str | None = None) -> Parsed:
    """Parse `source`; raises jinja2.TemplateSyntaxError (with its line) when it is not a template."""
    source = source.replace("\r\n", "\n")
    ast = env.parse(source, name, filename)
    required = {block.name: block.required for block in ast.find_all(nodes.Block)}
    blocks: dict[str, Block] = {}
    stack: list[tuple[str, int, int]] = []  # (name, offset of its `{%`, line)
    tag: tuple[int, int] | None = None  # (offset, line) of the `{%` being read
    words: list[str] = []
    for offset, line, kind, value in linemarks.tokens(env, source, name):
        if kind == "block_begin":
            tag, words = (offset, line), []
        elif kind == "name" and tag is not None:
            words.append(value)
        elif kind == "block_end" and tag is not None:
            keyword = words[0] if words else ""
            if keyword == "block":
                stack.append((words[1], tag[0], tag[1]))
            elif keyword == "endblock" and stack:
                block, start, start_line = stack.pop()
                if not stack:
                    end = offset + value.index("%}") + 2
                    blocks[block] = Block(block, start_line, line, source[start:end], required.get(block, False))
            tag = None
    return Parsed(ast, blocks)
