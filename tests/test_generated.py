"""generated/ is what the templates produce, and every file of it compiles."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import typing

import pytest
from conftest import without_line_directives

from ptogen import generate, paths, templating
from ptogen.arch import load_all, model
from ptogen.arch.loader import load_arch

ARCHES = sorted(load_all())
CXXFLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"]


def test_generated_is_fresh():
    stale = [s for s in generate.compare(load_all()) if s.state != "fresh"]
    assert stale == [], "run `ptogen generate`: " + ", ".join(f"{s.state} {s.path}" for s in stale)


def test_generation_is_deterministic():
    arches = load_all()
    folder = paths.arches_dir() / "a5"
    first = generate.render_arch(arches["a5"], folder)
    second = generate.render_arch(load_arch(folder), folder)
    assert first == second


@pytest.mark.parametrize("arch", ARCHES)
def test_every_file_carries_the_marker(arch):
    for output in templating.OUTPUTS:
        first_line = (paths.generated_dir() / arch / output.filename).read_text().splitlines()[0]
        assert first_line.startswith(f"// {generate.MARKER} from templates/{output.template}")


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("filename", [o.filename for o in templating.OUTPUTS])
def test_generated_source_compiles(arch, filename):
    root = paths.project_root()
    includes = [
        f"-I{paths.generated_dir() / arch}",
        f"-I{root / 'runtimes' / 'include'}",
        f"-I{root / 'runtimes' / 'host'}",
        f"-I{root / 'runtimes' / 'platform' / 'cann'}",
        f"-I{root / 'runtimes' / 'device' / 'include'}",
    ]
    # A header is compiled as the only include of a translation unit (a header as the main file trips
    # `#pragma once`); a source file is compiled as itself.
    source = paths.generated_dir() / arch / filename
    if filename.endswith(".h"):
        cmd = ["g++", *CXXFLAGS, *includes, "-x", "c++", "-"]
        stdin = f'#include "{filename}"\n'
    else:
        cmd = ["g++", *CXXFLAGS, *includes, str(source)]
        stdin = None
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_arches_differ_only_through_hook_folders(arch_copy):
    """A copy of a2a3's hook folder under another name generates a2a3's output with only the name changed (and,
    in the marker line, the hook file named by the search path it was found on rather than templates/arches/)."""
    folder = arch_copy("zz9")
    original = generate.render_arch(load_all()["a2a3"], paths.arches_dir() / "a2a3")
    copy = generate.render_arch(load_arch(folder), folder)
    assert copy.keys() == original.keys()
    for filename, text in original.items():
        expected = text.replace("a2a3", "zz9").replace("templates/arches/zz9/", "$PTOGEN_ARCH_PATH/zz9/")
        assert copy[filename] == expected, filename


def test_a_hook_may_extend_its_default_with_super(hooked_arch_copy):
    """A hook file at its base's path overrides one block; `{{ super() }}` keeps the base default inside it, and
    the generated file's marker names the hook file."""
    folder = hooked_arch_copy("zz9")
    original = generate.render_arch(load_all()["a2a3"], paths.arches_dir() / "a2a3")["device_runner_finalize.cpp"]
    text = generate.render_arch(load_arch(folder), folder)["device_runner_finalize.cpp"]
    assert " + $PTOGEN_ARCH_PATH/zz9/device_runner/finalize.cpp.j2. Do not edit" in text.splitlines()[0]
    original, text = without_line_directives(original), without_line_directives(text)
    default_body = original.split("int DeviceRunner::device_reset() {\n")[1].split("\n}\n")[0]
    assert "rtDeviceReset" in default_body
    assert "int DeviceRunner::device_reset() {\n    // before the reset\n" + default_body + "\n" in text


def test_every_strategy_choice_is_a_template_and_every_decision_is_used():
    hints = typing.get_type_hints(model.Strategies, globalns=vars(model))
    used = {decision for decisions in templating.included_strategies().values() for decision in decisions}
    for field in dataclasses.fields(model.Strategies):
        assert field.name in used, f"no base template includes strategy.{field.name}"
        for choice in typing.get_args(hints[field.name]):
            path = paths.templates_dir() / templating.strategy_template(field.name, choice)
            assert path.is_file(), f"{field.name} = {choice!r} has no template {path}"


@pytest.mark.parametrize("arch", ARCHES)
def test_the_marker_names_the_strategies_the_arch_chose(arch):
    choices = load_all()[arch].strategy_choices
    first_line = (paths.generated_dir() / arch / "device_runner_collectors.cpp").read_text().splitlines()[0]
    for decision in ("collector_memory", "collector_lifetime"):
        assert f"templates/strategies/{decision}/{choices[decision]}.cpp.j2" in first_line


def test_base_templates_do_not_branch_on_the_arch():
    """An arch decision is a constant, a constexpr flag, a strategy or a hook: never a branch in a base template."""
    for path in paths.templates_dir().rglob("*.j2"):
        if paths.arches_dir() in path.parents:
            continue
        assert not re.search(r"\{%-?\s*if\s+arch\.", path.read_text()), path
