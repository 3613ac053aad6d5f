"""The Jinja side of generation: which base templates exist, which hooks they declare, and the environment.

A base template is a whole C++ file with named holes (`{% block name %}default{% endblock %}`); an arch's
hook file for it `{% extends %}` it and overrides some holes. Base templates live at the top of
`templates/`; hook files are reached under the `hooks/` prefix of the arch being rendered, so one hook
folder can sit anywhere (a copy in a temporary directory renders exactly like the original).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from jinja2 import nodes

from ptogen import linemarks, paths
from ptogen.arch import model

HOOKS_PREFIX = "hooks"


@dataclass(frozen=True)
class Output:
    template: str  # base template name under templates/
    filename: str  # file written to generated/<arch>/


# One entry per emitted file; the order is the order of `ptogen generate`'s report.
OUTPUTS: tuple[Output, ...] = (
    Output("platform_config.h.j2", "platform_config.h"),
    Output("kernel_args.h.j2", "kernel_args.h"),
    Output("device_runner.h.j2", "device_runner.h"),
    Output("device_runner.cpp.j2", "device_runner.cpp"),
    Output("c_api.cpp.j2", "pto_runtime_c_api.cpp"),
)


# Every name a template may read, and how it is made from the arch: rendering and the loader's check of a
# hook file's names both read this one list.
CONTEXT: dict[str, Callable[[model.Arch], object]] = {
    "arch": lambda arch: arch,
    "kernel_args_roles": lambda arch: typing.get_args(model.KernelArgsRole),
}


def context(arch: model.Arch) -> dict[str, object]:
    return {name: make(arch) for name, make in CONTEXT.items()}


def _hex(value: int, width: int = 0) -> str:
    return f"0x{value:0{width}X}"


def make_environment(
    hook_folder: Path | None = None, templates: Path | None = None, line_marks: bool = False
) -> jinja2.Environment:
    """An environment that renders base templates, and the hook files of one arch under `hooks/`. With
    `line_marks`, rendered text carries the source line of each output line (ptogen.linemarks)."""
    base = jinja2.FileSystemLoader(str(templates or paths.templates_dir()))
    loaders: list[jinja2.BaseLoader] = []
    if hook_folder is not None:
        loaders.append(jinja2.PrefixLoader({HOOKS_PREFIX: jinja2.FileSystemLoader(str(hook_folder))}))
    loaders.append(base)
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        extensions=[linemarks.LineMarks] if line_marks else [],
    )
    env.filters["hex"] = _hex
    return env


def block_names(ast: nodes.Template) -> dict[str, int]:
    """Every `{% block %}` in a parsed template (nested ones too), with the line it starts on."""
    return {block.name: block.lineno for block in ast.find_all(nodes.Block)}


@cache
def _base_blocks(templates: Path) -> dict[str, dict[str, nodes.Block]]:
    env = make_environment(templates=templates)
    found: dict[str, dict[str, nodes.Block]] = {}
    for output in OUTPUTS:
        source, filename, _ = env.loader.get_source(env, output.template)
        found[output.template] = {b.name: b for b in env.parse(source, output.template, filename).find_all(nodes.Block)}
    return found


def declared_hooks(templates: Path | None = None) -> dict[str, frozenset[str]]:
    """Base template name -> the hook blocks it declares (what an arch may override)."""
    found = _base_blocks((templates or paths.templates_dir()).resolve())
    return {template: frozenset(blocks) for template, blocks in found.items()}


def required_hooks(templates: Path | None = None) -> dict[str, dict[str, int]]:
    """Base template name -> its `required` hook blocks (no neutral default: every arch writes its own), each
    with the line declaring it."""
    found = _base_blocks((templates or paths.templates_dir()).resolve())
    return {
        template: {name: block.lineno for name, block in blocks.items() if block.required}
        for template, blocks in found.items()
    }
