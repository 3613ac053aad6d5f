"""The compiler environments every program of the build starts from."""

from __future__ import annotations

import os

from SCons.Script import Environment

from ptobuild.compiler_output import CompilerOutput
from ptobuild.manifest import RecordingCacheDir
from ptobuild.options import Request
from ptobuild.progress import StepProgress


class Environments:
    """`base` (the toolchain, progress lines), `project` (the runtime's own code: warnings are errors, a
    build-id on every program) and `scene` (user code: the flags the runtime loads it with)."""

    def __init__(self, request: Request, output: CompilerOutput, steps: StepProgress | None = None):
        self.verbose = request.verbose
        base = Environment(
            ENV={name: os.environ[name] for name in ("PATH", "TMPDIR") if name in os.environ},
            # Named, not "default": detecting every tool SCons knows costs a no-op build a tenth of a second.
            tools=["gcc", "g++", "gnulink", "install", "compilation_db"],
            COMPILATIONDB_USE_ABSPATH=True,
            SPAWN=output.spawn,
            CACHEDIR_CLASS=RecordingCacheDir,  # build/cache, telling the manifest what it handed back
        )
        if steps is not None:  # each step's line to the driver, counted, instead of to stdout
            base["PRINT_CMD_LINE_FUNC"] = steps.print_cmd_line
        if "CXX" in os.environ:
            base["CXX"] = base["SHCXX"] = os.environ["CXX"]
        if not request.verbose:
            base.Replace(
                SHCXXCOMSTR="  CXX   $SOURCE",
                CXXCOMSTR="  CXX   $SOURCE",
                SHLINKCOMSTR="  LINK  $TARGET",
                INSTALLSTR="  COPY  $TARGET",
                COMPILATIONDB_COMSTR="  CDB   $TARGET",
            )
        self.base = base
        # Every program carries a GNU build-id: binary identities and profilers key on it, and ptogen's ELF
        # check asserts it is there.
        self.project = base.Clone(
            CXXFLAGS=["-std=c++17"],
            CCFLAGS=["-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pthread"],  # SHCCFLAGS adds -fPIC
            LINKFLAGS=["-pthread", "-Wl,--build-id=sha1"],
            LIBS=["dl"],
        )
        # Scene programs (kernels, orchestration) are user code: no -Werror.
        self.scene = base.Clone(CXXFLAGS=["-std=c++17"], CCFLAGS=["-O2"], SHLIBPREFIX="")
        if request.sanitizers:
            # Every program, scene programs too; UBSan aborts on its first report (-fno-sanitize-recover), so a
            # report fails the run instead of scrolling by.
            chosen = ",".join(request.sanitizers)
            instrument = [f"-fsanitize={chosen}", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
            for env in (self.project, self.scene):
                env.Append(CCFLAGS=instrument, LINKFLAGS=[f"-fsanitize={chosen}"])

    def tag(self, env, label: str) -> None:
        """Name the build a compile line belongs to: one source is compiled once per (arch, runtime)."""
        if not self.verbose:
            env["SHCXXCOMSTR"] = f"  CXX   $SOURCE  [{label}]"
