"""The scene suite under AddressSanitizer and UndefinedBehaviorSanitizer: every program instrumented (host,
AICPU, AICore, dispatcher, ptosim, every scene's kernels and orchestration), every case of every scene on
every arch, zero reports. A report fails the test with the sanitizer's words.

Each arch runs `ptogen test --arch A --sanitize address,undefined` in a subprocess: Python is not instrumented,
so the run needs the sanitizer runtimes preloaded, which ptogen arranges for in a child of its own.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from ptogen import build, layout, paths, sanitize
from ptogen.arch import load_all
from ptogen.harness.worker import Worker, WorkerError

ARCHES = sorted(load_all())
SANITIZERS = ("address", "undefined")


def needed(path: Path) -> list[str]:
    section = ELFFile(io.BytesIO(path.read_bytes())).get_section_by_name(".dynamic")
    assert isinstance(section, DynamicSection), f"{path} has no .dynamic"
    return [tag.needed for tag in section.iter_tags() if tag.entry.d_tag == "DT_NEEDED"]


def clean_env() -> dict[str, str]:
    """The environment of a normal process: no sanitizer of an outer run leaks into the one under test."""
    env = sanitize.without_preload(os.environ)
    for variable in (sanitize.ENV, "ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"):
        env.pop(variable, None)
    return env


@pytest.mark.parametrize("arch", ARCHES)
def test_every_scene_runs_clean_under_asan_and_ubsan(arch):
    command = [sys.executable, "-m", "ptogen", "test", "--arch", arch, "--sanitize", ",".join(SANITIZERS)]
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env(), timeout=1200, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"`{' '.join(command[2:])}` failed:\n{output[-12000:]}"
    assert f"no sanitizer reports on {arch}/sim-asan+ubsan" in output
    assert "PASS" in output and "FAIL" not in output


def test_a_scene_that_does_not_compile_fails_alone_under_the_sanitizers(tmp_path: Path):
    """Runs after the suite above filled build/cache, which this copy of the tree shares: a scene whose kernel
    does not compile is one FAIL with the compiler's words, and the other scene still runs sanitized."""
    root = paths.project_root()
    for tree in ("generated", "runtimes", "site_scons", "templates"):
        shutil.copytree(root / tree, tmp_path / tree, ignore=shutil.ignore_patterns("*.o", "*.so", "__pycache__"))
    shutil.copy(root / "SConstruct", tmp_path)
    examples = tmp_path / "examples" / "host_build_graph"
    examples.mkdir(parents=True)
    shutil.copy(root / "examples" / "SConscript", examples.parent)
    shutil.copytree(root / "examples" / "host_build_graph" / "vector_example", examples / "vector_example")
    broken = examples / "broken"
    shutil.copytree(examples / "vector_example", broken)
    scene_py = broken / "scene.py"
    scene_py.write_text(scene_py.read_text().replace('name="vector_example"', 'name="broken"'))
    (broken / "kernels" / "kernel_mul.cpp").write_text('extern "C" void kernel_entry(long *) { undefined_name; }\n')
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "cache").symlink_to(root / "build" / "cache")

    command = [sys.executable, "-m", "ptogen", "test", "--arch", "a2a3", "--sanitize", ",".join(SANITIZERS)]
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env() | {"PTOGEN_ROOT": str(tmp_path)},
                          timeout=1200, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert output.count("'undefined_name' was not declared") == 1, output
    assert re.search(r"^FAIL  host_build_graph/broken:default .* the scene's programs did not build", output,
                     re.MULTILINE), output
    assert re.search(r"^PASS  host_build_graph/vector_example:default ", output, re.MULTILINE), output
    assert "1 failure(s) on a2a3/sim-asan+ubsan" in output and "no sanitizer reports" in output


def test_the_sanitized_build_is_its_own_instrumented_variant():
    """Runs after the suite above built it: every program links the sanitizer runtimes, the scene programs
    too, and nothing of it lands in the normal build's folders."""
    built = build.build(ARCHES, scenes=["vector_example"], echo=None, sanitize=SANITIZERS)
    programs = [path for found in built.artifacts.values() for _, path in found.items()]
    programs += [path for found in built.scenes.values() for path in found]
    assert len(programs) > 5 * len(ARCHES)
    for path in programs:
        assert "sim-asan+ubsan" in path.resolve().parts, path
        libraries = needed(path)
        for runtime in ("libasan.so", "libubsan.so"):
            assert any(name.startswith(runtime) for name in libraries), f"{path} does not link {runtime}: {libraries}"
    normal = build.artifacts(ARCHES[0], build.known_runtimes()[0], must_exist=False, sanitize=())
    assert "sim" in normal.host.parts and "sim-asan+ubsan" not in normal.host.parts


def test_a_report_fails_the_process_and_is_named(tmp_path):
    """The environment the suite runs in: an overflow in an instrumented library aborts the process, and the
    report lands in the log folder, where its summary names the error."""
    source = tmp_path / "overflow.cpp"
    source.write_text('#include <cstdlib>\nextern "C" int overflow(int i) { int *p = (int *)malloc(16); '
                      "int v = p[i]; free(p); return v; }\n")
    library = tmp_path / "liboverflow.so"
    compiler = os.environ.get("CXX", "g++")
    subprocess.run([compiler, "-shared", "-fPIC", "-g", f"-fsanitize={','.join(SANITIZERS)}", "-o", str(library),
                    str(source)], check=True)
    script = textwrap.dedent(f"""
        import ctypes
        ctypes.CDLL({str(library)!r}).overflow(4)
    """)
    logs = tmp_path / "logs"
    logs.mkdir()
    env = sanitize.environment(SANITIZERS, logs, base=clean_env())
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    (report,) = sanitize.reports(logs)
    assert "AddressSanitizer: heap-buffer-overflow" in sanitize.summary(report)


def test_a_worker_refuses_the_sanitized_build_without_the_preload(monkeypatch):
    monkeypatch.setenv(sanitize.ENV, ",".join(SANITIZERS))
    with pytest.raises(WorkerError, match="libasan.so, libubsan.so is not preloaded"):
        Worker(ARCHES[0], build.known_runtimes()[0], build=False).init()


def test_sanitizer_lists_are_checked():
    assert sanitize.parse("undefined, address") == ("address", "undefined")
    assert layout.platform_dir("sim", ("address", "undefined")) == "sim-asan+ubsan"
    with pytest.raises(sanitize.SanitizeError, match="unknown sanitizer memroy"):
        sanitize.parse("memroy")
    with pytest.raises(sanitize.SanitizeError, match="cannot be combined"):
        sanitize.parse("address,thread")
