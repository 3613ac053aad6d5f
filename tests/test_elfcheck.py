"""ELF checks: each one catches a deliberately broken library, names the file and the reason, and the real
build passes them all."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ptogen import build, c_abi, elfcheck, freshness, paths, toolchains

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

C_ABI = {
    "create_device_context", "destroy_device_context", "get_runtime_size", "simpler_init", "prepare_callable",
    "run_prepared", "unregister_callable", "finalize_device", "device_malloc_ctx", "device_free_ctx",
    "copy_to_device_ctx", "copy_from_device_ctx", "get_aicpu_dlopen_count", "get_host_dlopen_count",
    "ensure_acl_ready_ctx", "get_last_error_ctx",
}  # fmt: skip


def library(tmp_path: Path, name: str, source: str, *flags: str, compiler: str = "g++") -> Path:
    """A shared library built from `source` (C++), with extra link flags."""
    src = tmp_path / f"{name}.cpp"
    src.write_text(source)
    out = tmp_path / name
    command = [compiler, "-shared", "-fPIC", "-O1", "-Wl,--build-id=sha1", str(src), "-o", str(out), *flags]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return out


def host_like(tmp_path: Path, extra: str = "", *flags: str, exports: set[str] | None = None) -> Path:
    """A libhost_runtime.so defining the C ABI (plus `extra`), exporting `exports` through a version script."""
    body = "".join(f'extern "C" int {name}() {{ return 0; }}\n' for name in sorted(C_ABI))
    script = tmp_path / "exports.map"
    script.write_text(c_abi.version_script(exports if exports is not None else C_ABI))
    return library(tmp_path, "libhost_runtime.so", body + extra, f"-Wl,--version-script={script}", *flags)


def messages(path: Path, expect: elfcheck.Expectation) -> list[str]:
    return [str(finding) for finding in elfcheck.check(path, expect)]


HOST = elfcheck.expectations("sim")["host"]


def test_the_c_abi_is_read_from_its_header():
    assert c_abi.c_abi_functions() == C_ABI
    cann = c_abi.cann_api_functions()
    assert {"rtSetDevice", "aclrtSynchronizeStreamWithTimeout", "halMemCtl", "dlog_setlevel"} <= cann
    assert not {"rtError_t", "rtStream_t", "static_assert"} & cann


def test_header_parser_skips_types_macros_and_comments(tmp_path: Path):
    header = tmp_path / "api.h"
    header.write_text(
        "#ifndef API_H\n#define API_H(x) \\\n  int not_me(void);\n"
        '#ifdef __cplusplus\nextern "C" {\n#endif\n'
        "typedef int (*callback_t)(int);\ntypedef struct Pair { int a; int (*f)(void); } Pair;\n"
        "enum { A = 1, B = 2 };\n/* int commented(void); */\n// int also_commented(void);\n"
        "const char *name_of(int id);\nvoid *\n  spread_over(size_t n,\n   int flags);\nint no_args(void);\n"
        '#ifdef __cplusplus\n}\n#endif\n#endif\n'
    )
    assert c_abi.declared_functions(header) == {"name_of", "spread_over", "no_args"}


def test_a_library_exporting_exactly_the_c_abi_passes(tmp_path: Path):
    assert messages(host_like(tmp_path, 'extern "C" int helper() { return 1; }\n'), HOST) == []


def test_an_extra_export_is_named(tmp_path: Path):
    lib = host_like(tmp_path, 'extern "C" int foo() { return 1; }\n', exports=C_ABI | {"foo"})
    assert messages(lib, HOST) == [
        "libhost_runtime.so exports foo, which is not part of the C ABI (runtimes/include/pto/pto_runtime_c_api.h)"
    ]


def test_cxx_symbols_leaking_without_a_version_script_are_named(tmp_path: Path):
    body = "".join(f'extern "C" int {name}() {{ return 0; }}\n' for name in sorted(C_ABI))
    lib = library(tmp_path, "libhost_runtime.so", body + "namespace pto { int helper(int x) { return x; } }\n")
    (message,) = messages(lib, HOST)
    assert message.startswith("libhost_runtime.so exports _ZN3pto6helperEi, which is not part of the C ABI")


def test_a_missing_export_is_named(tmp_path: Path):
    lib = host_like(tmp_path, exports=C_ABI - {"run_prepared"})
    assert messages(lib, HOST) == ["libhost_runtime.so does not export run_prepared, which it must"]


def test_the_wrong_machine_is_named(tmp_path: Path):
    lib = library(tmp_path, "libaicpu_kernel.so", 'extern "C" int simpler_aicpu_init() { return 0; }\n'
                  'extern "C" int simpler_aicpu_exec() { return 0; }\n')
    onboard = elfcheck.expectations("onboard")["aicpu"]
    assert messages(lib, onboard) == ["libaicpu_kernel.so is built for x86-64, expected AArch64"]
    assert messages(lib, elfcheck.expectations("sim")["aicpu"]) == []


@pytest.mark.skipif(not toolchains.cross_cxx().found, reason="no aarch64 cross compiler (g++-aarch64-linux-gnu)")
def test_an_aarch64_library_is_not_a_sim_program(tmp_path: Path):
    lib = library(tmp_path, "libaicpu_dispatcher.so", 'extern "C" int DynTileFwkKernelServerInit() { return 0; }\n',
                  compiler=str(toolchains.cross_cxx().path))
    assert messages(lib, elfcheck.expectations("onboard")["dispatcher"]) == []
    assert messages(lib, elfcheck.expectations("sim")["dispatcher"]) == [
        "libaicpu_dispatcher.so is built for AArch64, expected x86-64"
    ]


def test_an_undefined_symbol_outside_the_allowed_list_is_named(tmp_path: Path):
    source = ('extern "C" void ptosim_notify_u32(void *);\nextern "C" void mystery_call();\n'
              'extern "C" int simpler_aicpu_init() { ptosim_notify_u32(nullptr); mystery_call(); return 0; }\n'
              'extern "C" int simpler_aicpu_exec() { return 0; }\n')
    lib = library(tmp_path, "libaicpu_kernel.so", source)
    # ptosim_* is the sim seam (allowed); mystery_call is provided by nothing the program may link.
    assert messages(lib, elfcheck.expectations("sim")["aicpu"]) == [
        "libaicpu_kernel.so needs mystery_call, which nothing it may link provides"
    ]


def test_the_host_may_import_the_cann_api_and_versioned_libc_but_nothing_else(tmp_path: Path):
    calls = 'extern "C" int rtSetDevice(int);\nextern "C" int ptosim_notify_u32(void *);\n#include <cstdio>\n'
    body = calls + "".join(f'extern "C" int {name}() {{ return 0; }}\n' for name in sorted(C_ABI - {"simpler_init"}))
    body += 'extern "C" int simpler_init() { std::puts("x"); return rtSetDevice(0) + ptosim_notify_u32(nullptr); }\n'
    script = tmp_path / "exports.map"
    script.write_text(c_abi.version_script(C_ABI))
    lib = library(tmp_path, "libhost_runtime.so", body, f"-Wl,--version-script={script}")
    assert messages(lib, HOST) == ["libhost_runtime.so needs ptosim_notify_u32, which nothing it may link provides"]


def test_a_missing_build_id_is_named(tmp_path: Path):
    lib = host_like(tmp_path, "", "-Wl,--build-id=none")
    assert messages(lib, HOST) == ["libhost_runtime.so has no GNU build-id (link with -Wl,--build-id)"]


def test_a_file_that_is_not_elf_is_named(tmp_path: Path):
    bogus = tmp_path / "libaicore_kernel.so"
    bogus.write_text("not an ELF file\n")
    (message,) = messages(bogus, elfcheck.expectations("sim")["aicore"])
    assert message.startswith("libaicore_kernel.so is not a readable ELF file")


def test_check_programs_reports_every_broken_program_of_a_build(tmp_path: Path):
    good = tmp_path / "good"
    bad = tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    findings = elfcheck.check_programs(
        [("host", host_like(good)), ("host", host_like(bad, "", "-Wl,--build-id=none")), ("ptosim", good / "x.so")],
        "sim",
    )
    assert [(f.path.parent.name, f.check) for f in findings] == [("bad", "build-id")]


def test_every_program_of_a_real_build_passes_and_the_build_says_so():
    runtime = "host_build_graph"
    if runtime not in build.known_runtimes():
        pytest.skip(f"{runtime} not present")
    result = build.build(["a2a3"], [runtime], echo=None)
    found = build.artifacts("a2a3", runtime)
    assert set(result.checked) == {found.host, found.aicpu, found.aicore, found.dispatcher}
    # The host library's version script came from the header: it exports the C ABI and nothing else.
    exports = (build.variant_dir("a2a3", runtime) / "host_exports.map").read_text()
    assert exports == c_abi.version_script(c_abi.c_abi_functions(paths.project_root()))
    assert elfcheck.check(found.host, HOST) == []


def test_a_build_rechecks_only_what_changed_and_a_failed_program_fails_every_time(tmp_path: Path):
    """The build remembers the programs that passed, as they were (a no-op build reads no ELF file); a program
    that failed is checked, and fails, on every build until it is fixed."""
    root = tmp_path / "root"
    for header in (c_abi.c_abi_header(), c_abi.cann_api_header()):
        target = root / header.relative_to(paths.project_root())
        target.parent.mkdir(parents=True)
        shutil.copy(header, target)
    (root / "build").mkdir()
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir()
    bad_dir.mkdir()
    good, bad = host_like(good_dir), host_like(bad_dir, "", "-Wl,--build-id=none")
    for _ in range(2):
        findings = freshness.check_programs([("host", good), ("host", bad)], "sim", root, ())
        assert [finding.path for finding in findings] == [bad]
    assert freshness.check_programs([("host", good)], "sim", root, ()) == []  # passed before, as it is
    good.write_bytes(bad.read_bytes())  # the same file, now broken: checked again
    assert [finding.check for finding in freshness.check_programs([("host", good)], "sim", root, ())] == ["build-id"]
