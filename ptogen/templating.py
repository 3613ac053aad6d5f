"""The Jinja side of generation: which base templates exist, which hooks they declare, and the environment.

A base template is a whole C++ file with named holes (`{% block name %}default{% endblock %}`); an arch's
hook file for it `{% extends %}` it and overrides some holes. Base templates live under `templates/` (the
DeviceRunner's topics under `templates/device_runner/`); an arch's hook file sits at the same relative path
in its folder, and is reached under the `hooks/` prefix of the arch being rendered, so one hook folder can
sit anywhere (a copy in a temporary directory renders exactly like the original).

A strategy is `templates/strategies/<decision>/<choice>.cpp.j2`; a base template includes it with
`{% include strategy.<decision> %}`, and `strategy` maps each decision to the template of the arch's choice.
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
# The DeviceRunner's topics, in the order its generated sources read: templates/device_runner/<topic>.cpp.j2
# renders to generated/<arch>/device_runner_<topic>.cpp.
DEVICE_RUNNER_TOPICS = (
    "errors",
    "init",
    "bootstrap",
    "memory",
    "callables",
    "launches",
    "collectors",
    "collector_drain",
    "run",
    "finalize",
)
OUTPUTS: tuple[Output, ...] = (
    Output("platform_config.h.j2", "platform_config.h"),
    Output("kernel_args.h.j2", "kernel_args.h"),
    Output("device_runner.h.j2", "device_runner.h"),
    *(Output(f"device_runner/{topic}.cpp.j2", f"device_runner_{topic}.cpp") for topic in DEVICE_RUNNER_TOPICS),
    Output("c_api.cpp.j2", "pto_runtime_c_api.cpp"),
)
STRATEGIES_DIR = "strategies"
STRATEGY_NAME = "strategy"  # the context variable a base template includes strategies through


def strategy_template(decision: str, choice: str) -> str:
    """The template implementing one choice of one strategy decision."""
    return f"{STRATEGIES_DIR}/{decision}/{choice}.cpp.j2"


# Every name a template may read, and how it is made from the arch: rendering and the loader's check of a
# hook file's names both read this one list.
CONTEXT: dict[str, Callable[[model.Arch], object]] = {
    "arch": lambda arch: arch,
    "kernel_args_roles": lambda arch: typing.get_args(model.KernelArgsRole),
    # each strategy decision -> the template of the arch's choice, for `{% include strategy.<decision> %}`
    STRATEGY_NAME: lambda arch: {
        decision: strategy_template(decision, choice) for decision, choice in arch.strategy_choices.items()
    },
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


def strategies_included(ast: nodes.Template) -> tuple[str, ...]:
    """The strategy decisions a parsed template includes (`{% include strategy.<decision> %}`), in order."""
    found: list[str] = []
    for include in ast.find_all(nodes.Include):
        target = include.template
        names_a_strategy = isinstance(target, nodes.Getattr) and isinstance(target.node, nodes.Name)
        if names_a_strategy and target.node.name == STRATEGY_NAME and target.attr not in found:
            found.append(target.attr)
    return tuple(found)


@dataclass(frozen=True)
class _BaseInfo:
    blocks: dict[str, dict[str, nodes.Block]]  # base template -> hook blocks it declares, by name
    strategies: dict[str, tuple[str, ...]]  # base template -> strategy decisions it includes


@cache
def _base_info_cached(templates: Path) -> _BaseInfo:
    env = make_environment(templates=templates)
    blocks: dict[str, dict[str, nodes.Block]] = {}
    strategies: dict[str, tuple[str, ...]] = {}
    for output in OUTPUTS:
        source, filename, _ = env.loader.get_source(env, output.template)
        ast = env.parse(source, output.template, filename)
        blocks[output.template] = {block.name: block for block in ast.find_all(nodes.Block)}
        strategies[output.template] = strategies_included(ast)
    return _BaseInfo(blocks, strategies)


def declared_hooks(templates: Path | None = None) -> dict[str, frozenset[str]]:
    """Base template name -> the hook blocks it declares (what an arch may override)."""
    blocks = _base_info_cached((templates or paths.templates_dir()).resolve()).blocks
    return {template: frozenset(found) for template, found in blocks.items()}


def required_hooks(templates: Path | None = None) -> dict[str, dict[str, int]]:
    """Base template name -> its `required` hook blocks (no neutral default: every arch writes its own), each
    with the line declaring it."""
    blocks = _base_info_cached((templates or paths.templates_dir()).resolve()).blocks
    return {
        template: {name: block.lineno for name, block in found.items() if block.required}
        for template, found in blocks.items()
    }


def included_strategies(templates: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Base template name -> the strategy decisions it includes (named in its generated file's marker)."""
    return _base_info_cached((templates or paths.templates_dir()).resolve()).strategies
