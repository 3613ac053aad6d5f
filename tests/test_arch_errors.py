"""Every hook-folder mistake is an error naming the file, the line and the key."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import HOOKED_TEMPLATE as FINALIZE
from conftest import add_hook_file as hook_file

from ptogen import generate, paths, templating
from ptogen.arch import ArchError, hookfile, load_arch


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def only_problem(folder: Path):
    with pytest.raises(ArchError) as caught:
        load_arch(folder)
    assert len(caught.value.problems) == 1, str(caught.value)
    return caught.value.problems[0], str(caught.value)


def test_the_shipped_arches_load(a2a3_folder):
    arch = load_arch(a2a3_folder)
    assert arch.name == "a2a3" and arch.cores.max_block_dim == 24 and arch.aicpu.scheduler_threads == 4


def test_missing_key(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, "launch_threads = 6\n", "")
    problem, message = only_problem(folder)
    assert problem.key == "aicpu.launch_threads"
    assert problem.line == line_of(toml, "[aicpu]")
    assert re.search(r"arch\.toml:\d+: aicpu\.launch_threads: missing required key", message)


def test_wrong_type(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, "max_block_dim = 24", 'max_block_dim = "24"')
    problem, message = only_problem(folder)
    assert (problem.key, problem.line) == ("cores.max_block_dim", line_of(toml, "max_block_dim"))
    assert "must be a integer, got str '24'" in message.replace("an integer", "a integer")
    assert str(toml) in message


def test_bool_is_not_an_integer(arch_copy):
    folder = arch_copy()
    edit(folder / "arch.toml", "aic_per_block = 1", "aic_per_block = true")
    problem, _ = only_problem(folder)
    assert problem.key == "cores.aic_per_block"


def test_typo_suggests_the_close_match(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, "sys_counter_hz", "sys_countr_hz")
    with pytest.raises(ArchError) as caught:
        load_arch(folder)
    by_key = {p.key: p for p in caught.value.problems}
    typo = by_key["timing.sys_countr_hz"]
    assert typo.line == line_of(toml, "sys_countr_hz")
    assert "unknown key (did you mean 'sys_counter_hz'?)" in typo.message
    assert "timing.sys_counter_hz" in by_key  # and the real key is reported missing


def test_bad_choice_suggests_the_close_match(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, '"before_aicpu_launch"', '"before_aicpu_lunch"')
    problem, message = only_problem(folder)
    assert (problem.key, problem.line) == ("kernel_args.device_copy", line_of(toml, "device_copy"))
    assert "did you mean 'before_aicpu_launch'?" in message


def test_error_inside_an_array_of_tables_points_at_its_entry(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, 'role = "dep_gen_base"', 'role = "dep_gen_bsae"')
    problem, message = only_problem(folder)
    assert problem.key == "kernel_args.extra_fields[2].role"
    assert problem.line == line_of(toml, "dep_gen_bsae")
    assert "did you mean 'dep_gen_base'?" in message


def test_rule_of_the_model(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, "launch_threads = 6", "launch_threads = 2")
    problem, message = only_problem(folder)
    assert (problem.key, problem.line) == ("aicpu.launch_threads", line_of(toml, "launch_threads"))
    assert "must be >= aicpu.scheduler_threads (4)" in message


def test_register_outside_its_block(arch_copy):
    folder = arch_copy()
    edit(folder / "arch.toml", "cond = 0x4C8", "cond = 0x2000")
    problem, message = only_problem(folder)
    assert problem.key == "registers.cond" and "outside the register block" in message


def test_feature_without_its_kernel_args_field(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    text = toml.read_text()
    start = text.index("[[kernel_args.extra_fields]]\nname = \"dep_gen_data_base\"")
    end = text.index("[[kernel_args.extra_fields]]", start + 1)
    toml.write_text(text[:start] + text[end:])
    problem, message = only_problem(folder)
    assert (problem.key, problem.line) == ("features.dep_gen", line_of(toml, "dep_gen = true"))
    assert "no kernel_args.extra_fields entry has role 'dep_gen_base'" in message


def test_toml_syntax_error(arch_copy):
    folder = arch_copy()
    toml = folder / "arch.toml"
    edit(toml, "cond = 0x4C8", "cond = = 0x4C8")
    problem, _ = only_problem(folder)
    assert problem.line == line_of(toml, "cond = =")


def test_a_hook_file_at_its_base_path_loads(arch_copy):
    folder = arch_copy()
    hook_file(folder)
    hook = load_arch(folder).hook_overrides(FINALIZE)
    assert hook is not None and hook.blocks == ("device_reset",) and hook.path == f"hooks/{FINALIZE}"


def test_override_of_an_undeclared_hook(arch_copy):
    folder = arch_copy()
    hooks = hook_file(folder)
    edit(hooks, "{% block device_reset %}", "{% block device_rest %}")
    problem, message = only_problem(folder)
    assert (problem.path, problem.key) == (hooks, "device_rest")
    assert problem.line == line_of(hooks, "block device_rest")
    assert "declares no hook named 'device_rest' (did you mean 'device_reset'?)" in message


def test_hook_file_for_no_base_template(arch_copy):
    folder = arch_copy()
    (folder / "device_runner").mkdir()
    (folder / "device_runner" / "finalise.cpp.j2").write_text('{% extends "device_runner/finalise.cpp.j2" %}\n')
    problem, message = only_problem(folder)
    assert problem.key == "device_runner/finalise.cpp.j2" and f"did you mean {FINALIZE!r}?" in message


def test_hook_file_must_extend_its_base(arch_copy):
    folder = arch_copy()
    hooks = hook_file(folder)
    edit(hooks, f'{{% extends "{FINALIZE}" %}}', '{% extends "device_runner.h.j2" %}')
    problem, message = only_problem(folder)
    assert (problem.key, problem.line) == ("extends", 1)
    assert f'must extend "{FINALIZE}"' in message


def test_code_outside_hook_blocks_is_refused(arch_copy):
    folder = arch_copy()
    hooks = hook_file(folder)
    hooks.write_text(hooks.read_text() + "\n{% if true %}stray{% endif %}\n")
    problem, message = only_problem(folder)
    assert problem.line == len(hooks.read_text().splitlines())
    assert "only hook blocks may appear outside blocks" in message


def test_all_problems_are_reported_together(arch_copy):
    folder = arch_copy()
    edit(folder / "arch.toml", "cond = 0x4C8", 'cond = "x"')
    edit(folder / "arch.toml", "ffts = true", "fts = true")
    edit(hook_file(folder), "{% block device_reset %}", "{% block device_rest %}")
    with pytest.raises(ArchError) as caught:
        load_arch(folder)
    keys = {p.key for p in caught.value.problems}
    assert {"registers.cond", "features.fts", "features.ffts", "device_rest"} <= keys


# ---------------------------------------------------------------------------------------------------------------
# Template mistakes in a hook file: reported at its line, in the same form, never as a traceback.


def first_hook(folder: Path) -> tuple[Path, hookfile.Block]:
    """The first hook block the arch writes (whichever that is; an arch that writes none is given one), and its
    file."""
    hook = load_arch(folder).hooks[0]
    path = folder / hook.template
    return path, next(iter(hookfile.parse(templating.make_environment(), path.read_text()).blocks.values()))


def insert_after(path: Path, line: int, text: str) -> int:
    lines = path.read_text().split("\n")
    lines.insert(line, text)
    path.write_text("\n".join(lines))
    return line + 1


def test_undefined_name_in_a_hook_is_found_at_load(hooked_arch_copy):
    folder = hooked_arch_copy()
    path, block = first_hook(folder)
    line = insert_after(path, block.line, "    // {{ arhc.name }}")
    problem, message = only_problem(folder)
    assert (problem.path, problem.line, problem.key) == (path, line, block.name)
    assert "'arhc' is undefined (did you mean 'arch'?)" in message
    assert message.startswith(f"{path}:{line}: {block.name}: ")


def test_unknown_attribute_in_a_hook_is_reported_at_render(hooked_arch_copy):
    folder = hooked_arch_copy()
    path, block = first_hook(folder)
    line = insert_after(path, block.line, "    // {{ arch.nmae }}")
    arch = load_arch(folder)  # names are right; the attribute is only looked up when rendering
    with pytest.raises(ArchError) as caught:
        generate.render_arch(arch, folder)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line, problem.key) == (path, line, block.name)
    assert "has no attribute 'nmae'" in problem.message


def test_template_syntax_error_in_a_hook(hooked_arch_copy):
    folder = hooked_arch_copy()
    path, block = first_hook(folder)
    line = insert_after(path, block.line, "    {% if %}")
    problem, message = only_problem(folder)
    assert (problem.path, problem.line) == (path, line) and "template syntax" in message


def templates_copy(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(paths.templates_dir(), templates, ignore=shutil.ignore_patterns("arches"))
    return templates


def test_a_required_hook_left_out_is_named(arch_copy, tmp_path: Path):
    folder = arch_copy()
    arch = load_arch(folder)
    # Any declared hook this arch leaves to the base default, made `required` (no default) in a copy of the base.
    template, name = next(
        (t, n)
        for t, hooks in sorted(templating.declared_hooks().items())
        for n in sorted(hooks)
        if n not in (arch.hook_overrides(t).blocks if arch.hook_overrides(t) else ())
    )
    templates = templates_copy(tmp_path)
    base = templates / template
    block = hookfile.parse(templating.make_environment(), base.read_text()).blocks[name]
    base.write_text(base.read_text().replace(block.text, f"{{% block {name} required %}}{{% endblock %}}"))
    with pytest.raises(ArchError) as caught:
        load_arch(folder, templates)
    (problem,) = caught.value.problems
    assert (problem.path, problem.key) == (folder / template, name)
    assert f"required hook missing: templates/{template}:{block.line} declares it with no default" in str(problem)


def test_undefined_name_in_a_base_template_names_its_line(tmp_path: Path, a2a3_folder: Path):
    templates = templates_copy(tmp_path)
    output = templating.OUTPUTS[0]
    base = templates / output.template
    base.write_text(base.read_text() + "// {{ no_such_name }}\n")
    line = len(base.read_text().splitlines())
    with pytest.raises(ArchError) as caught:
        generate.render_arch(load_arch(a2a3_folder), a2a3_folder, templates)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == (base, line) and "'no_such_name' is undefined" in problem.message
