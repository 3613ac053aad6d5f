"""`ptogen build`: the programs of a2a3/sim land where the harness looks, as real shared objects, and a second
build does nothing.

One build per session (module fixture) into the repo's build/: a cold build takes a while on two CPUs.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from ptogen import build, freshness, paths

ROOT = paths.project_root()
ARCH = "a2a3"
SCENE = "vector_example"
HOST_EXPORTS = ("simpler_init", "run_prepared", "prepare_callable", "finalize_device")
# What every sim build compiles besides a runtime variant (runtimes/SConscript).
COMPONENTS = (
    "runtimes/device/aicpu",
    "runtimes/device/aicore",
    "runtimes/device/dispatcher",
    "runtimes/platform/sim/device",
    "runtimes/platform/sim/ptosim",
)


def absent_component() -> str | None:
    for component in COMPONENTS:
        folder = ROOT / component
        if not folder.is_dir() or not (any(folder.glob("*.cpp")) or (folder / "SConscript").is_file()):
            return component
    if not build.known_runtimes():
        return "a runtime variant under runtimes/ (host/, aicpu/, aicore/)"
    return None


def scenes_present() -> tuple[str, ...]:
    return tuple(scene for scene in (SCENE,) if any(build.scene_folder(r, scene) for r in build.known_runtimes()))


@pytest.fixture(scope="module")
def builds() -> tuple[build.BuildResult, build.BuildResult, dict[Path, int]]:
    """A build of a2a3/sim for every runtime, the mtimes of what it produced, then the same build again."""
    missing = absent_component()
    if missing is not None:
        pytest.skip(f"{missing} not present yet")
    first = build.build([ARCH], scenes=scenes_present(), echo=None)
    produced = [path for found in first.artifacts.values() for _, path in found.items()]
    produced += [path for programs in first.scenes.values() for path in programs]
    mtimes = {path: path.stat().st_mtime_ns for path in produced}
    second = build.build([ARCH], scenes=scenes_present(), echo=None)
    return first, second, mtimes


def scons(root: Path, *arguments: str) -> subprocess.CompletedProcess:
    """The SConstruct run by hand, as a user would (no SCONSFLAGS from the environment)."""
    env = {k: v for k, v in os.environ.items() if k != "SCONSFLAGS"}
    command = [sys.executable, "-m", "SCons", "-Q", "-C", str(root), *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def copy_tree_for_scons(target: Path) -> None:
    """What the build reads: the SConstruct, its helpers, the SConscripts and the sources they name."""
    for tree in ("generated", "runtimes", "site_scons"):
        shutil.copytree(ROOT / tree, target / tree, ignore=shutil.ignore_patterns("*.o", "*.so", "__pycache__"))
    shutil.copy(ROOT / "SConstruct", target)
    (target / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "SConscript", target / "examples")


def elf(path: Path) -> ELFFile:
    return ELFFile(io.BytesIO(path.read_bytes()))


def dynamic_tags(path: Path, tag: str) -> list[str]:
    section = elf(path).get_section_by_name(".dynamic")
    assert isinstance(section, DynamicSection), f"{path} has no .dynamic"
    values = []
    for entry in section.iter_tags():
        if entry.entry.d_tag == tag:
            values.append(entry.needed if tag == "DT_NEEDED" else entry.runpath if tag == "DT_RUNPATH" else entry.rpath)
    return values


def dynamic_symbols(path: Path) -> tuple[set[str], set[str]]:
    """(defined global symbols, undefined symbols) of the dynamic symbol table."""
    section = elf(path).get_section_by_name(".dynsym")
    assert isinstance(section, SymbolTableSection)
    defined, undefined = set(), set()
    for symbol in section.iter_symbols():
        if not symbol.name:
            continue
        if symbol["st_shndx"] == "SHN_UNDEF":
            undefined.add(symbol.name)
        elif symbol["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"):
            defined.add(symbol.name)
    return defined, undefined


def test_every_runtime_gets_four_programs_and_the_arch_its_simulator(builds):
    first, _, _ = builds
    assert set(first.artifacts) == {(ARCH, runtime) for runtime in build.known_runtimes()}
    for (arch, runtime), found in first.artifacts.items():
        assert found == build.artifacts(arch, runtime)
        assert found.host.parent == ROOT / "build" / arch / "sim" / runtime
        assert found.ptosim == ROOT / "build" / arch / "sim" / "libptosim.so"
        # One simulator per platform: every arch's path names the same file, so one process gets one instance.
        assert found.ptosim.resolve() == ROOT / "build" / "sim" / "ptosim" / "libptosim.so"
        for name, path in found.items():
            header = elf(path).header
            assert header["e_type"] == "ET_DYN", f"{name}: {path} is not a shared object"
            assert header["e_machine"] == "EM_X86_64", f"{name}: {path} is {header['e_machine']}"


def test_host_runtime_exports_the_c_abi_and_finds_its_simulator_beside_it(builds):
    first, _, _ = builds
    for found in first.artifacts.values():
        defined, _ = dynamic_symbols(found.host)
        assert set(HOST_EXPORTS) <= defined, f"missing exports: {set(HOST_EXPORTS) - defined}"
        assert "libptosim.so" in dynamic_tags(found.host, "DT_NEEDED")
        assert "$ORIGIN/.." in dynamic_tags(found.host, "DT_RUNPATH") + dynamic_tags(found.host, "DT_RPATH")


def test_device_programs_leave_the_simulator_seam_to_the_loaded_ptosim(builds):
    first, _, _ = builds
    for found in first.artifacts.values():
        ptosim_exports, _ = dynamic_symbols(found.ptosim)
        for program in (found.aicpu, found.aicore):
            assert "libptosim.so" not in dynamic_tags(program, "DT_NEEDED"), f"{program} links ptosim"
            _, undefined = dynamic_symbols(program)
            seam = {name for name in undefined if name.startswith("ptosim_")}
            assert seam, f"{program} calls no ptosim_* seam function"
            assert seam <= ptosim_exports, f"{found.ptosim.name} does not define {sorted(seam - ptosim_exports)}"


def test_second_build_is_a_no_op(builds):
    _, second, mtimes = builds
    assert second.up_to_date, f"the second build ran: {second.built + second.from_cache}"
    assert "is up to date" in second.output
    assert not second.regenerated
    assert {path: path.stat().st_mtime_ns for path in mtimes} == mtimes


def test_compile_commands_lists_the_generated_runner_with_project_flags(builds):
    database = ROOT / "build" / "compile_commands.json"
    entries = json.loads(database.read_text())
    runner = str(ROOT / "generated" / ARCH / "device_runner_run.cpp")
    commands = [entry["command"] for entry in entries if entry["file"] == runner]
    assert commands, f"{runner} not in {database}"
    for flag in ("-std=c++17", "-O2", "-g", "-fPIC", "-Wall", "-Wextra", "-Werror", "-pthread"):
        assert all(flag in command.split() for command in commands), flag


def test_scene_programs_are_built_and_taken_from_the_cache_once_compiled(builds):
    first, _, _ = builds
    if not first.scenes:
        pytest.skip(f"scene {SCENE} not present yet")
    for (_, runtime, scene), programs in first.scenes.items():
        assert programs and all(path.is_file() for path in programs)
        folder = build.scene_folder(runtime, scene)
        assert folder is not None
        for path in programs:
            assert elf(path).header["e_type"] == "ET_DYN"
            if (folder / "orchestration" / f"{path.stem}.cpp").is_file():
                assert elf(path).get_section_by_name(".note.gnu.build-id") is not None, f"{path} has no build-id"
    # Removing every scene output of a build brings them back from build/cache: nothing is recompiled.
    (arch, runtime, scene), programs = next(iter(first.scenes.items()))
    shutil.rmtree(build.variant_dir(arch, runtime) / "scenes")
    again = build.build([arch], [runtime], scenes=[scene], echo=None)
    assert all(path.is_file() for path in programs)
    assert not [line for line in again.built if line.startswith(("CXX", "LINK"))], again.built
    assert again.from_cache


def test_identical_scene_sources_compile_once(tmp_path: Path):
    """Two scenes carrying the same kernel text: one compile, one link, a copy in each scene's folder."""
    missing = absent_component()
    if missing is not None:
        pytest.skip(f"{missing} not present yet")
    runtime = build.known_runtimes()[0]
    copy_tree_for_scons(tmp_path)
    increment = 'extern "C" void kernel_entry(long *args) { args[0] += 1; }\n'
    double = 'extern "C" void kernel_entry(long *args) { args[0] *= 2; }\n'
    # The same text twice under one name (kernel_inc) and under two names (kernel_a in one, kernel_b in two).
    for scene, other in (("one", "kernel_a"), ("two", "kernel_b")):
        kernels = tmp_path / "examples" / scene / "kernels"
        kernels.mkdir(parents=True)
        (kernels / "kernel_inc.cpp").write_text(increment)
        (kernels / f"{other}.cpp").write_text(double)
    scenes_dir = f"build/{ARCH}/sim/{runtime}/scenes"
    result = scons(tmp_path, f"arch={ARCH}", f"runtime={runtime}", "scenes=one,two", scenes_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "build" / "manifest.json").read_text())
    compiles = [step for step in manifest["built"] if step.startswith("CXX ")]
    links = [step for step in manifest["built"] if step.startswith("LINK ")]
    assert len(compiles) == 2 and len(links) == 2, manifest["built"]
    for scene in ("one", "two"):
        for stem in ("kernel_inc", "kernel_a" if scene == "one" else "kernel_b"):
            assert (tmp_path / scenes_dir / scene / f"{stem}.so").is_file()


def test_cli_prints_each_artifact_with_its_size_and_the_elapsed_time(builds):
    first, _, _ = builds
    result = subprocess.run(
        [sys.executable, "-m", "ptogen", "build", "--arch", ARCH, "-j", "2"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for found in first.artifacts.values():
        for name, path in found.items():
            row = [line for line in lines if line.split()[:2] == [name, str(path.relative_to(ROOT))]]
            assert row and row[0].endswith(("KiB", "MiB", "(shared by the arch's runtimes)")), (name, lines)
    assert re.search(r"^built in \d+\.\d s \(.+\)$", result.stdout, re.MULTILINE), result.stdout


def tree_with_a_broken_kernel(tmp_path: Path, monkeypatch) -> None:
    """A copy of the tree sharing build/cache (so the runtime programs come from the cache, not a compile),
    with a scene `broken` whose kernel does not compile; PTOGEN_ROOT points at it."""
    copy_tree_for_scons(tmp_path)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "cache").symlink_to(ROOT / "build" / "cache")
    kernels = tmp_path / "examples" / "broken" / "kernels"
    kernels.mkdir(parents=True)
    (kernels / "kernel_bad.cpp").write_text('extern "C" int kernel_entry() { return undefined_name; }\n')
    monkeypatch.setenv("PTOGEN_ROOT", str(tmp_path))


def test_a_compile_error_is_raised_with_the_compilers_words(builds, tmp_path: Path, monkeypatch):
    tree_with_a_broken_kernel(tmp_path, monkeypatch)
    with pytest.raises(build.BuildError) as error:
        build.build([ARCH], scenes=["broken"], echo=None)
    message = str(error.value)
    assert message.startswith("build failed (scons exited with 2):\n"), message
    assert "kernel_bad.cpp:1:" in message and "'undefined_name' was not declared" in message, message
    assert not any(line.startswith(("  CXX", "  LINK")) for line in message.splitlines()), message


def test_unknown_arch_is_a_clean_error():
    with pytest.raises(build.BuildError, match=r"unknown arch zz9 \(known: .*a2a3"):
        build.build(["zz9"], echo=None)


def test_unknown_runtime_is_a_one_line_error_naming_the_folder():
    with pytest.raises(build.BuildError) as error:
        build.build([ARCH], ["no_such_runtime"], echo=None)
    assert str(error.value).startswith("runtimes/no_such_runtime/ is missing (known runtimes:")
    assert "\n" not in str(error.value)


def test_cli_reports_unknown_arch_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "ptogen", "build", "--arch", "zz9"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "unknown arch zz9" in result.stderr and "Traceback" not in result.stderr


def test_sconstruct_rejects_a_missing_generated_arch_in_one_line():
    result = scons(ROOT, "arch=zz9")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("ptogen build: error: generated/zz9/ is missing")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("removed", ["runtimes/device/dispatcher", "runtimes/platform/sim/device"])
def test_sconstruct_names_a_missing_component_folder_in_one_line(tmp_path: Path, removed: str):
    copy_tree_for_scons(tmp_path)
    shutil.rmtree(tmp_path / removed, ignore_errors=True)
    result = scons(tmp_path, f"arch={ARCH}")
    assert result.returncode == 2
    assert result.stderr.strip() == f"ptogen build: error: {removed}/ is missing (needed by every sim build)"
    assert not (tmp_path / "build" / ARCH).exists()


def test_artifacts_names_what_is_not_built(tmp_path: Path):
    with pytest.raises(build.MissingArtifactError) as error:
        build.artifacts(ARCH, "host_build_graph", root=tmp_path)
    message = str(error.value)
    assert "libhost_runtime.so" in message and "libptosim.so" in message
    assert "ptogen build --arch a2a3 --runtime host_build_graph" in message
    found = build.artifacts(ARCH, "host_build_graph", root=tmp_path, must_exist=False)
    assert found.missing == [path for _, path in found.items()]


def test_run_and_test_each_invoke_scons_once(builds, capsys):
    """`ptogen run` and `ptogen test` build the runtime's programs and the scenes' in one SCons run (counted by
    the driver, in this process)."""
    from ptogen import cli

    runtime = "host_build_graph"
    before = build.scons_runs()
    assert cli.main(["run", SCENE, "--arch", ARCH, "--runtime", runtime, "--rounds", "2"]) == 0
    assert build.scons_runs() - before == 1
    before = build.scons_runs()
    assert cli.main(["test", "--arch", ARCH, "--runtime", runtime, "--rounds", "1"]) == 0
    assert build.scons_runs() - before == 1
    assert "all scenes pass" in capsys.readouterr().out


def test_a_diagnostic_repeated_by_several_compiles_is_reported_once(builds, tmp_path: Path, monkeypatch):
    """One broken kernel shared by every runtime is compiled once per runtime variant; its error is one
    diagnostic in the result, and each failed compile is named."""
    tree_with_a_broken_kernel(tmp_path, monkeypatch)
    runtimes = build.known_runtimes()
    result = build.build([ARCH], scenes=["broken"], echo=None, keep_going=True)
    assert len(result.failed) == len(runtimes) >= 2, result.failed
    errors = [d for d in result.diagnostics if "'undefined_name' was not declared" in d]
    assert len(errors) == 1, result.diagnostics
    assert errors[0].startswith("examples/broken/kernels/kernel_bad.cpp:"), errors[0]
    for runtime in runtimes:
        assert not result.is_current(build.scene_dir(ARCH, runtime, "broken", root=tmp_path) / "kernel_bad.so")
        assert result.is_current(build.artifacts(ARCH, runtime, root=tmp_path).host)  # the rest still built


def test_the_layout_and_the_driver_import_no_scons():
    """SConstruct and the driver share ptogen.layout; neither it nor the driver pulls SCons in."""
    code = "import sys, ptogen.layout, ptogen.build; print(sorted(m for m in sys.modules if m.startswith('SCons')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_build_regenerates_what_changed_since_generated_was_last_found_fresh(tmp_path: Path, monkeypatch):
    """build/ remembers the generation files of a fresh arch; a hand edit of a generated file or an edit of an
    arch's hook folder is still seen and repaired by the next build."""
    from ptogen.arch import load_all

    for tree in ("templates", "generated"):
        shutil.copytree(ROOT / tree, tmp_path / tree)
    monkeypatch.setenv("PTOGEN_ROOT", str(tmp_path))
    assert freshness.regenerate(load_all(), tmp_path) == []
    assert freshness.regenerate(load_all(), tmp_path) == []
    edited = tmp_path / "generated" / ARCH / "device_runner.h"
    edited.write_text(edited.read_text() + "// hand edit\n")
    assert freshness.regenerate(load_all(), tmp_path) == [edited]
    toml = tmp_path / "templates" / "arches" / ARCH / "arch.toml"
    toml.write_text(toml.read_text().replace("max_block_dim = 24", "max_block_dim = 20"))
    rewritten = freshness.regenerate(load_all(), tmp_path)
    assert tmp_path / "generated" / ARCH / "arch.json" in rewritten
    assert '"max_block_dim": 20' in (tmp_path / "generated" / ARCH / "arch.json").read_text()


def test_scons_run_by_hand_prints_a_repeated_diagnostic_once(tmp_path: Path):
    copy_tree_for_scons(tmp_path)
    kernels = tmp_path / "examples" / "broken" / "kernels"
    kernels.mkdir(parents=True)
    (kernels / "kernel_bad.cpp").write_text('extern "C" int kernel_entry() { return undefined_name; }\n')
    runtimes = build.known_runtimes()
    targets = [f"build/{ARCH}/sim/{runtime}/scenes" for runtime in runtimes]
    result = scons(tmp_path, "-k", f"arch={ARCH}", "scenes=broken", *targets)
    assert result.returncode == 2
    assert result.stderr.count("'undefined_name' was not declared") == 1, result.stderr
    assert result.stderr.count("scons: *** [") == len(runtimes) >= 2, result.stderr  # every compile failed


# ---- progress -------------------------------------------------------------------------------------------------

PROGRESS_RUNTIME = "host_build_graph"
STARTED = f"building {ARCH}/sim ({PROGRESS_RUNTIME}) ..."


def ptogen_build(env: dict[str, str] | None = None, cwd: Path = ROOT, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "ptogen", "build", "--arch", ARCH, "--runtime", PROGRESS_RUNTIME, "-j", "1"]
    return subprocess.Popen(command, cwd=cwd, env=env, text=True, **popen)


def test_a_build_says_it_started_while_it_runs_and_sums_up_when_it_ends(tmp_path: Path):
    """Not on a terminal: one line as soon as the build has a step to run, and a summary at the end. The
    compiler is held until the first line has been read, so the line provably came before the build ended."""
    copy_tree_for_scons(tmp_path / "tree")
    shutil.copytree(ROOT / "templates", tmp_path / "tree" / "templates")
    gate = tmp_path / "go"
    held = tmp_path / "held-g++"
    held.write_text(f"#!/bin/sh\nwhile [ ! -e {gate} ]; do sleep 0.05; done\necho 'held-g++: no' >&2\nexit 1\n")
    held.chmod(0o755)
    env = {**os.environ, "PTOGEN_ROOT": str(tmp_path / "tree"), "CXX": str(held)}
    env.pop("SCONSFLAGS", None)
    process = ptogen_build(env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = process.stderr.readline().rstrip("\n")
        running = process.poll() is None
    finally:
        gate.touch()
    _, rest = process.communicate(timeout=300)
    assert first == STARTED and running, (first, rest)
    assert process.returncode == 1
    summary = rest.splitlines()[0]
    assert re.fullmatch(rf"build of {ARCH}/sim \({PROGRESS_RUNTIME}\) failed after \d+\.\d s \(1 target\(s\) failed\)",
                        summary), rest
    assert "held-g++: no" in rest


def test_a_build_with_work_prints_two_lines_and_a_no_op_build_none(builds):
    host = build.artifacts(ARCH, PROGRESS_RUNTIME).host
    host.unlink()  # brought back from build/cache
    done = ptogen_build(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    started, summary = err.splitlines()
    assert started == STARTED
    assert re.fullmatch(rf"built {ARCH}/sim \({PROGRESS_RUNTIME}\) in \d+\.\d s: 0 step\(s\) run, 1 taken from the "
                        "cache", summary), err
    again = ptogen_build(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0 and err == "", err


def test_on_a_terminal_each_step_is_shown_in_place(builds):
    import pty

    build.artifacts(ARCH, PROGRESS_RUNTIME).host.unlink()
    controller, terminal = pty.openpty()
    # A line longer than the terminal is cut in its middle; this one is wide enough for the whole line.
    process = ptogen_build({**os.environ, "COLUMNS": "200"}, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other end closed: the build is over
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=300) == 0
    text = shown.decode()
    assert re.search(r"\r\x1b\[K\[\d+/\d+\] Retrieved `build/a2a3/sim/host_build_graph/libhost_runtime\.so", text), text
    assert STARTED not in text  # the counter line says it
    assert text.endswith(" taken from the cache\r\n"), text
