"""Onboard toolchains as compiler environments: the host library against CANN, the AICPU programs with the
aarch64 cross compiler, the AICore program with CANN's ccec. Which tools exist is ptogen/toolchains.py's
answer (the same `ptogen doctor` prints); a missing one is a reason, not an error, so the rest still builds."""

from __future__ import annotations

from pathlib import Path

from SCons.Script import Action

from ptogen import toolchains

UNLINKED = (
    "compiled against runtimes/platform/cann/cann_runtime_api.h but not linked: linking needs CANN's "
    f"libascendcl and libruntime ({toolchains.cann().install})"
)


def link_against_cann(env) -> bool:
    """Adds CANN's headers and libraries to env when ASCEND_HOME_PATH names an install; False without one."""
    home = toolchains.cann_home()
    if home is None:
        return False
    env.Append(
        CPPDEFINES=["PTOGEN_USE_CANN_HEADERS"],
        CPPPATH=[str(d) for d in toolchains.cann_include_dirs(home)],
        LIBPATH=[str(d) for d in toolchains.cann_library_dirs(home)],
        LIBS=toolchains.cann_libraries(home),
    )
    return True


def cross_environment(project):
    """(env, None) compiling for aarch64, or (None, why not)."""
    cross = toolchains.cross_cxx()
    if not cross.found:
        return None, f"needs the aarch64 cross compiler {cross.name} ({cross.install})"
    path = str(cross.path)
    return project.Clone(CXX=path, SHCXX=path, LINK=path, SHLINK=path), None


def aicore_environment(base, aicore_arch: str):
    """(env, None) compiling for the AICore of `aicore_arch` (arch.json's toolchain.aicore_arch), or (None, why)."""
    compiler = toolchains.ccec()
    if not compiler.found:
        return None, f"needs CANN's ccec compiler ({compiler.install})"
    env = base.Clone(CXX=str(compiler.path))
    env.Append(CXXFLAGS=["-std=c++17", "-O2", "-xcce", f"--cce-aicore-arch={aicore_arch}-vec"])
    return env, None


def _write_unity_source(target, source, env):
    lines = [f'#include "{Path(node.get_abspath()).as_posix()}"\n' for node in source]
    header = "// One translation unit for ccec: every AICore source.\n"
    Path(target[0].get_abspath()).write_text(header + "".join(lines))


def unity_source(env, target: str, sources: list[Path]):
    """ccec compiles one translation unit: a file including every AICore source."""
    return env.Command(target, [str(s) for s in sources], Action(_write_unity_source, "  GEN   $TARGET"))
