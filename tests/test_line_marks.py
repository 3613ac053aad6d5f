"""A compile error in generated C++ names the template or hook file line the author wrote (`#line` directives),
and the directives change nothing else."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ptogen import generate, paths, templating
from ptogen.arch import hookfile, load_all, load_arch

ROOT = paths.project_root()
ARCHES = sorted(load_all())
DIRECTIVE = re.compile(r'^#line (\d+) "([^"]+)"$')
PROBE = 'static_assert(sizeof(char) == 0, "line probe");'


def source_of(spelled: str, arch: str) -> Path:
    """The file a directive names, spelled as generated code spells it."""
    return ROOT / spelled.replace(f"${paths.ARCH_PATH_ENV}/{arch}/", f"templates/arches/{arch}/")


@pytest.mark.parametrize("arch", ARCHES)
def test_every_directive_names_the_line_that_follows_it(arch: str):
    """After `#line N "file"`, each generated line is line N, N+1, ... of that file, wherever that line is plain
    text (no `{{ }}` to substitute)."""
    checked = 0
    for output in templating.OUTPUTS:
        lines = (paths.generated_dir() / arch / output.filename).read_text().splitlines()
        current: tuple[list[str], int] | None = None
        for text in lines[1:]:
            match = DIRECTIVE.match(text)
            if match:
                source = source_of(match.group(2), arch)
                assert source.is_file(), f"{output.filename}: {text} names no file"
                current = (source.read_text().splitlines(), int(match.group(1)))
                continue
            if current is None:
                continue
            source_lines, number = current
            written = source_lines[number - 1] if number <= len(source_lines) else ""
            if text.strip() and not re.search(r"\{[{%#]", written):
                assert text == written.rstrip(), f"{output.filename}: {text!r} is not line {number}: {written!r}"
                checked += 1
            current = (source_lines, number + 1)
    assert checked > 100


@pytest.mark.parametrize("arch", ARCHES)
def test_directives_change_nothing_but_themselves(arch: str):
    folder = paths.arches_dir() / arch
    model = load_all()[arch]
    plain = templating.make_environment(hook_folder=folder)  # no line marks
    for output in templating.OUTPUTS:
        hook = model.hook_overrides(output.template)
        text = plain.get_template(hook.path if hook else output.template).render(templating.context(model))
        expected = "\n".join(line for line, _ in generate._tidy([(line, None) for line in text.split("\n")]))
        generated = (paths.generated_dir() / arch / output.filename).read_text().split("\n")[1:]
        assert "\n".join(line for line in generated if not DIRECTIVE.match(line)).rstrip("\n") == expected


def compile_errors(out: Path, filename: str) -> str:
    if shutil.which("g++") is None:
        pytest.skip("needs g++")
    includes = [
        f"-I{out}",
        f"-I{ROOT / 'runtimes' / 'include'}",
        f"-I{ROOT / 'runtimes' / 'host'}",
        f"-I{ROOT / 'runtimes' / 'platform' / 'cann'}",
        f"-I{ROOT / 'runtimes' / 'device' / 'include'}",
    ]
    source = out / filename
    if filename.endswith(".h"):
        cmd, stdin = ["g++", "-std=c++17", "-fsyntax-only", *includes, "-x", "c++", "-"], f'#include "{filename}"\n'
    else:
        cmd, stdin = ["g++", "-std=c++17", "-fsyntax-only", *includes, str(source)], None
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=out)
    assert result.returncode != 0, "the probe compiled"
    return result.stderr


def render_into(out: Path, arch_folder: Path, templates: Path | None = None) -> None:
    out.mkdir(parents=True)
    for filename, text in generate.render_arch(load_arch(arch_folder), arch_folder, templates).items():
        (out / filename).write_text(text)


def test_an_error_in_a_hook_block_names_the_hook_file_line(hooked_arch_copy, tmp_path: Path):
    folder = hooked_arch_copy("zz9")
    hook = load_arch(folder).hooks[0]
    path = folder / hook.template
    block = next(iter(hookfile.parse(templating.make_environment(), path.read_text()).blocks.values()))
    lines = path.read_text().split("\n")
    lines.insert(block.line, PROBE)  # the first line of the block's body
    path.write_text("\n".join(lines))
    render_into(tmp_path / "out", folder)
    output = next(o for o in templating.OUTPUTS if o.template == hook.template)
    errors = compile_errors(tmp_path / "out", output.filename)
    assert f"$PTOGEN_ARCH_PATH/zz9/{hook.template}:{block.line + 1}:" in errors, errors


@pytest.mark.parametrize("output", templating.OUTPUTS, ids=lambda o: o.filename)
def test_an_error_in_a_base_template_names_its_line(tmp_path: Path, output: templating.Output):
    templates = tmp_path / "templates"
    shutil.copytree(paths.templates_dir(), templates, ignore=shutil.ignore_patterns("arches"))
    base = templates / output.template
    text = base.read_text()
    base.write_text(text.rstrip("\n") + "\n" + PROBE + "\n")  # at the end: namespace scope in every file
    line = len(base.read_text().splitlines())
    arch = ARCHES[0]
    render_into(tmp_path / "out", paths.arches_dir() / arch, templates)
    errors = compile_errors(tmp_path / "out", output.filename)
    assert f"templates/{output.template}:{line}:" in errors, errors
