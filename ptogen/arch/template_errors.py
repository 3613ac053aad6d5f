"""A Jinja error raised while rendering, as the loader's `file:line: key: message` problem.

Some mistakes in a hook file or a base template only show when it renders (an attribute the model does not
have, a filter given the wrong value). Jinja rewrites its traceback so that each template frame carries the
template's file and line; the innermost such frame is where the author's text went wrong.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import jinja2

from ptogen import templating
from ptogen.arch import hookfile
from ptogen.arch.loader import ArchError, Problem


def _key(path: Path, line: int) -> str:
    """The hook block holding `line` of `path`, else the file's name."""
    try:
        parsed = hookfile.parse(templating.make_environment(), path.read_text(), path.name, str(path))
    except (OSError, jinja2.TemplateError):
        return path.name
    block = parsed.block_at(line)
    return block.name if block is not None else path.name


def problem(error: jinja2.TemplateError, roots: list[Path]) -> Problem | None:
    """Where in a template under one of `roots` `error` arose, or None when no template frame names it."""
    resolved = [root.resolve() for root in roots]

    def ours(filename: str | None) -> bool:
        return bool(filename) and any(Path(filename).resolve().is_relative_to(root) for root in resolved)

    if isinstance(error, jinja2.TemplateSyntaxError) and ours(error.filename):
        path = Path(error.filename or "")
        return Problem(path, error.lineno, _key(path, error.lineno), f"template syntax: {error.message}")
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if ours(frame.filename)]
    if not frames:
        return None
    path, line = Path(frames[-1].filename), frames[-1].lineno or 0
    return Problem(path, line, _key(path, line), str(error.message or type(error).__name__))


def arch_error(error: jinja2.TemplateError, arch_folder: Path, templates: Path) -> ArchError:
    """`error` as an ArchError pointing at the template or hook file line; a frame-less error names the arch's
    folder and Jinja's message."""
    found = problem(error, [arch_folder, templates])
    if found is None:
        found = Problem(arch_folder, 0, type(error).__name__, str(error.message or error))
    return ArchError([found])
