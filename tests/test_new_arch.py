"""`ptogen new-arch` and arches outside the checkout: a scaffold holds the whole contract and generates what its
source generates; an arch on PTOGEN_ARCH_PATH builds and passes every scene without touching the checkout."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest
from conftest import without_line_directives

from ptogen import build, generate, newarch, paths, templating
from ptogen.arch import hookfile, load_all, load_arch, loader, model

ROOT = paths.project_root()
SHIPPED = sorted(load_all(search_path=[paths.arches_dir()]))


def ptogen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ptogen", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


def documented_fields(cls: type, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, doc) of every documented field of the model, depth first."""
    found = []
    hints = typing.get_type_hints(cls, globalns=vars(model))
    for field in dataclasses.fields(cls):
        if "doc" not in field.metadata:
            continue
        key = f"{prefix}{field.name}"
        found.append((key, field.metadata["doc"]))
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            found += documented_fields(typing.cast(type, hint), f"{key}.")
        elif typing.get_origin(hint) is tuple:
            found += documented_fields(typing.get_args(hint)[0], f"{key}[].")
    return found


def words(text: str) -> str:
    return " ".join(text.replace("#", " ").split())


@pytest.mark.parametrize("source", SHIPPED)
def test_scaffold_generates_what_its_source_generates_but_the_name(tmp_path: Path, source: str):
    made = newarch.scaffold("zz9", source, tmp_path)
    assert made.folder == tmp_path / "zz9"
    original = load_all()[source]
    copy = load_arch(made.folder)
    assert dataclasses.replace(copy, hooks=()) == dataclasses.replace(original, name="zz9", hooks=())
    expected = generate.render_arch(dataclasses.replace(original, name="zz9"), paths.arches_dir() / source)
    rendered = generate.render_arch(copy, made.folder)
    for filename, text in expected.items():
        text = text.replace("templates/arches/zz9/", "$PTOGEN_ARCH_PATH/zz9/")
        assert without_line_directives(rendered[filename]) == without_line_directives(text), filename


def test_every_constant_is_present_under_its_documentation(tmp_path: Path):
    toml = (newarch.scaffold("zz9", "a2a3", tmp_path).folder / "arch.toml").read_text()
    comments = words("\n".join(line for line in toml.splitlines() if line.lstrip().startswith("#")))
    lines = loader._TomlLines(toml).lines
    for key, doc in documented_fields(model.Arch):
        assert words(doc) in comments, f"{key}: its doc is not in arch.toml"
        if "[]" not in key:
            assert key in lines, f"{key} is not in arch.toml"
    # Every extra field of a2a3 is written, each with all its keys.
    assert sum(1 for line in toml.splitlines() if line == "[[kernel_args.extra_fields]]") == 4
    # The source's own spelling survives where it has one.
    assert "cond = 0x4C8" in toml and "sys_counter_hz = 50_000_000" in toml


def parsed_blocks(path: Path) -> dict[str, hookfile.Block]:
    return hookfile.parse(templating.make_environment(), path.read_text(), path.name, str(path)).blocks


@pytest.mark.parametrize("source", SHIPPED)
def test_scaffold_holds_only_the_sources_own_hook_blocks(tmp_path: Path, source: str):
    folder = newarch.scaffold("zz9", source, tmp_path).folder
    source_folder = paths.arches_dir() / source
    for template in templating.declared_hooks():
        ours, theirs = folder / template, source_folder / template
        if not theirs.is_file():
            assert not ours.exists(), f"{template}: the source writes no hook here, so neither does its scaffold"
            continue
        written, own = parsed_blocks(ours), parsed_blocks(theirs)
        assert [(b.name, b.text) for b in written.values()] == [(b.name, b.text) for b in own.values()]
        # No base default travels with it: the text of every hook the source leaves alone is absent.
        scaffolded = ours.read_text()
        for name, block in parsed_blocks(paths.templates_dir() / template).items():
            body = block.text.split("%}", 1)[1].rsplit("{%", 1)[0].strip()
            if name not in own and body:
                assert body not in scaffolded, f"{template}: the default of {name} was copied"
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted(
        ["arch.toml", *(h.template.rsplit("/", 1)[-1] for h in load_arch(source_folder).hooks)]
    )


def hooks_with_a_default() -> list[tuple[str, str]]:
    """(base template, hook) for every declared hook whose base default has code in it."""
    found = []
    for output in templating.OUTPUTS:
        blocks = parsed_blocks(paths.templates_dir() / output.template)
        for name in sorted(templating.declared_hooks()[output.template]):
            block = blocks.get(name)
            if block is not None and block.text.split("%}", 1)[1].rsplit("{%", 1)[0].strip():
                found.append((output.template, name))
    return found


@pytest.mark.parametrize(("template", "hook"), hooks_with_a_default())
def test_a_fix_to_a_base_default_reaches_every_arch_not_overriding_it(tmp_path: Path, template: str, hook: str):
    """The drift a scaffold must not cause: change a default in the base templates, and every arch that does not
    override that hook — scaffolds made just now included — generates the changed default."""
    templates = tmp_path / "templates"
    shutil.copytree(paths.templates_dir(), templates, ignore=shutil.ignore_patterns("arches"))
    fix = f"// fixed default of {hook}: reaches every arch that keeps it"
    base = templates / template
    block = parsed_blocks(base)[hook]
    text = base.read_text()
    open_tag_end = text.index(block.text) + block.text.index("%}") + 2
    base.write_text(text[:open_tag_end] + "\n" + fix + text[open_tag_end:])

    folders = {name: paths.arches_dir() / name for name in SHIPPED}
    for source in ("a5", "a2a3"):
        if source in folders:
            folders[f"zz_{source}"] = newarch.scaffold(f"zz_{source}", source, tmp_path / "arches" / source).folder
    reached, kept = [], []
    for name, folder in folders.items():
        arch = load_arch(folder)
        hook_file = arch.hook_overrides(template)
        overrides = hook_file is not None and hook in hook_file.blocks
        rendered = "".join(generate.render_arch(arch, folder, templates=templates).values())
        assert (fix in rendered) == (not overrides), f"{name} {'overrides' if overrides else 'keeps'} {hook}"
        (kept if overrides else reached).append(name)
    assert reached, f"no arch keeps the default of {hook}: the test shows nothing"
    # A scaffold follows its source: it keeps exactly the defaults its source keeps.
    for source in ("a5", "a2a3"):
        if source in folders:
            assert (source in reached) == (f"zz_{source}" in reached)


def test_hook_blocks_are_read_with_their_tags_lines_and_nesting():
    source = textwrap.dedent("""\
        {% extends "base.j2" %}
        {# {% block in_comment %}x{% endblock %} #}
        {%- block outer -%}
          a {% block inner %}b{% endblock inner %} c
        {%- endblock %}
        {% raw %}{% block in_raw %}{% endraw %}
        {% block last required %}{% endblock %}
        """)
    parsed = hookfile.parse(templating.make_environment(), source)
    assert list(parsed.blocks) == ["outer", "last"]
    outer = parsed.blocks["outer"]
    assert (outer.line, outer.end_line) == (3, 5)
    assert outer.text == "{%- block outer -%}\n  a {% block inner %}b{% endblock inner %} c\n{%- endblock %}"
    last = parsed.blocks["last"]
    assert last.text == "{% block last required %}{% endblock %}" and last.required and not outer.required
    assert parsed.block_at(4) is outer and parsed.block_at(6) is None


def test_an_existing_folder_is_never_overwritten(tmp_path: Path):
    (tmp_path / "zz9").mkdir()
    (tmp_path / "zz9" / "notes.txt").write_text("mine")
    with pytest.raises(newarch.NewArchError, match="already exists; ptogen new-arch never overwrites"):
        newarch.scaffold("zz9", "a2a3", tmp_path)
    assert [p.name for p in (tmp_path / "zz9").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zz9"]  # no staging folder left behind


def test_bad_names_and_unknown_sources_are_refused(tmp_path: Path):
    with pytest.raises(newarch.NewArchError, match="not an arch name"):
        newarch.scaffold("A6", "a2a3", tmp_path)
    with pytest.raises(newarch.NewArchError, match=r"unknown arch zz8 \(known: .*a2a3"):
        newarch.scaffold("zz9", "zz8", tmp_path)
    with pytest.raises(newarch.NewArchError, match="arch a5 already exists at"):
        newarch.scaffold("a5", "a2a3", tmp_path)


def test_cli_scaffolds_and_the_arch_path_finds_it(tmp_path: Path):
    result = ptogen("new-arch", "zz9", "--from", "a2a3", "--into", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'zz9' / 'arch.toml'}" in result.stdout
    assert f"ptogen test --arch zz9 --arch-path {tmp_path}" in result.stdout
    again = ptogen("new-arch", "zz9", "--from", "a2a3", "--into", str(tmp_path))
    assert again.returncode == 1 and "never overwrites" in again.stderr and "Traceback" not in again.stderr
    listed = ptogen("list", "--arch-path", str(tmp_path))
    assert any(line.split()[:2] == ["zz9", "24"] for line in listed.stdout.splitlines()), listed.stdout
    from_env = ptogen("list", "--arch", "zz9", env={paths.ARCH_PATH_ENV: str(tmp_path)})
    assert from_env.returncode == 0 and "zz9" in from_env.stdout
    not_found = ptogen("list", "--arch", "zz9", env={paths.ARCH_PATH_ENV: ""})
    assert not_found.returncode != 0 and "unknown arch zz9" in not_found.stderr


def test_search_path_order_and_where_output_goes(tmp_path: Path, monkeypatch):
    newarch.scaffold("zz9", "a5", tmp_path / "first")
    newarch.scaffold("zz9", "a2a3", tmp_path / "second")
    monkeypatch.setenv(paths.ARCH_PATH_ENV, os.pathsep.join([str(tmp_path / "first"), str(tmp_path / "second")]))
    found = loader.discover()
    assert found["zz9"] == (tmp_path / "first" / "zz9").resolve()  # the first directory wins
    assert found["a2a3"] == paths.arches_dir() / "a2a3"  # templates/arches/ is searched first
    # A directory that is itself a hook folder is one arch.
    monkeypatch.setenv(paths.ARCH_PATH_ENV, str(tmp_path / "second" / "zz9"))
    assert load_all()["zz9"].cores.max_block_dim == 24
    assert paths.arch_generated_dir("zz9", found["zz9"]) == ROOT / "build" / "generated" / "zz9"
    assert paths.arch_generated_dir("a5", paths.arches_dir() / "a5") == ROOT / "generated" / "a5"


def git_status(*pathspec: str) -> str:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *pathspec],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return done.stdout


THIRD_ARCH_EDITS = {
    # a2a3 with 16 blocks, 5 AICPU scheduling and launch threads, its registers moved inside a smaller block.
    "max_block_dim = 24": "max_block_dim = 16",
    "physical_aicores = 25": "physical_aicores = 16",
    "scheduler_threads = 4": "scheduler_threads = 5",
    "launch_threads = 6": "launch_threads = 5",
    "data_main_base = 0xA0": "data_main_base = 0x40",
    "cond = 0x4C8": "cond = 0x3F0",
    "pmu_ctrl = 0x200": "pmu_ctrl = 0x100",
    "pmu_counter_base = 0x210": "pmu_counter_base = 0x180",
    "block_size = 0x1400": "block_size = 0x800",
}


def test_a_third_arch_outside_the_checkout_passes_every_scene(tmp_path: Path):
    if not build.known_runtimes():
        pytest.skip("no runtime variant under runtimes/")
    # Where the generator and the scaffolder write; compared before and after (a checkout shared with other
    # work may change elsewhere meanwhile, and on a clean clone the whole status must stay empty).
    before = git_status("generated", "templates")
    arch_path = tmp_path / "arches"
    made = newarch.scaffold("a7x", "a2a3", arch_path)
    toml = made.folder / "arch.toml"
    text = toml.read_text()
    for old, new in THIRD_ARCH_EDITS.items():
        assert old in text, old
        text = text.replace(old, new)
    toml.write_text(text)
    arch = load_arch(made.folder)
    assert (arch.cores.max_block_dim, arch.aicpu.scheduler_threads, arch.aicpu.launch_threads) == (16, 5, 5)
    assert arch.features.dep_gen and arch.registers.cond == 0x3F0

    result = ptogen("test", "--arch", "a7x", "--arch-path", str(arch_path), "--rounds", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all scenes pass on a7x/sim" in result.stdout
    assert "FAIL" not in result.stdout
    passed = [line for line in result.stdout.splitlines() if line.startswith("PASS")]
    assert passed, result.stdout
    # Only cases sized for a chip with more than 16 blocks are left out, and each says so.
    for line in result.stdout.splitlines():
        if line.startswith("SKIP"):
            assert "needs block_dim" in line and "a7x has at most 16" in line, line
    generated = ROOT / "build" / "generated" / "a7x" / "platform_config.h"
    assert "PLATFORM_MAX_BLOCKDIM = 16;" in generated.read_text()
    assert "REG_SPR_COND = 0x3F0;" in generated.read_text()
    # Nothing outside build/ (ignored) and the hook folder (in tmp) changed.
    assert git_status("generated", "templates") == before
    assert "a7x" not in git_status()
    assert not (ROOT / "generated" / "a7x").exists()
