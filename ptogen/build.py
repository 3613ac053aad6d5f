"""Building the runtime programs: regenerate `generated/` if stale, run SCons, report where things landed.

The build graph is the SConstruct at the project root (the convention is in runtimes/README.md); this module
drives it as `python -m SCons` in a subprocess, streams its progress, and turns a failure into a
`BuildError` carrying the compiler's last words. `artifacts()` is how the harness finds built libraries.
Every program a build produced is then checked with ptogen.elfcheck; a failed check fails the build with
the check's words.

A sanitized sim build (`sanitize=("address", "undefined")`) is its own variant, build/<arch>/sim-asan+ubsan/
(ptogen/sanitize.py). Every function here that names a build's place takes `sanitize`; None means the
sanitizers of PTOGEN_SANITIZE, which a process that preloads their runtimes carries, so the harness run
inside it (Worker, the scene runner) loads the sanitized programs without being told.

On onboard, a part whose toolchain this machine lacks is not built and is listed in `BuildResult.unbuilt`
with the reason (ptogen/toolchains.py decides what exists); the parts that can be built still are.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ptogen import elfcheck, generate, paths
from ptogen import sanitize as sanitize_module  # `sanitize` is the parameter's name
from ptogen.arch import load_all

PLATFORMS = ("sim", "onboard")
PARTS = ("host", "aicpu", "aicore", "dispatcher")
VARIANT_PARTS = ("host", "aicpu", "aicore")
# The progress lines the SConstruct prints (`  CXX   <source>  [<build>]`, `  LINK  <target>`, `  COPY`, `  LN`),
# and with verbose=1 the commands themselves (every compile and link writes into build/); then the line SCons
# prints when it takes a target from build/cache instead of building it.
_WORK_PREFIXES = ("  CXX ", "  LINK ", "  COPY ", "  LN ", "  GEN ")
_VERBOSE_MARKERS = (" -o build/", "Install file: ")
_CACHE_PREFIX = "Retrieved `"
_SCONSTRUCT_ERROR = "ptogen build: error: "
_SCONSTRUCT_UNBUILT = "ptogen build: unbuilt: "  # a part whose toolchain is missing
_SCONSTRUCT_UNLINKED = "ptogen build: unlinked: "  # compiled, but linking needs what is missing
_SCONSTRUCT_NOTES = (_SCONSTRUCT_UNBUILT, _SCONSTRUCT_UNLINKED)
_TAIL_LINES = 40


class BuildError(Exception):
    """A build that could not start or did not finish; the message says what and why."""


class MissingArtifactError(BuildError):
    """A built library the caller needs is not there."""


class ElfCheckError(BuildError):
    """A program was built but is not what its loader expects; `findings` says how."""

    def __init__(self, findings: Sequence[elfcheck.Finding]):
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


@dataclass(frozen=True)
class Artifacts:
    """The programs of one (arch, platform, runtime) build. Onboard has no simulator (`ptosim` is None) and
    its AICore program is CANN's object file, aicore_kernel.o."""

    host: Path
    aicpu: Path
    aicore: Path
    dispatcher: Path
    ptosim: Path | None = None

    def items(self) -> list[tuple[str, Path]]:
        named = [(name, getattr(self, name)) for name in ("host", "aicpu", "aicore", "dispatcher", "ptosim")]
        return [(name, path) for name, path in named if path is not None]

    @property
    def missing(self) -> list[Path]:
        return [path for _, path in self.items() if not path.is_file()]


@dataclass(frozen=True)
class BuildResult:
    """What one `build()` produced and what it had to do for it."""

    artifacts: dict[tuple[str, str], Artifacts]
    scenes: dict[tuple[str, str, str], list[Path]]  # (arch, runtime, scene) -> its programs
    regenerated: list[Path]  # generated/ files rewritten before the build
    built: list[str]  # the compile/link lines SCons ran: empty when everything was up to date
    from_cache: list[str]  # targets taken from build/cache instead of being built
    output: str  # all SCons printed
    seconds: float
    platform: str = "sim"
    command: list[str] = field(default_factory=list)
    # target -> why this machine could not build it (onboard without ccec or the cross compiler)
    unbuilt: dict[str, str] = field(default_factory=dict)
    # target -> why it was compiled but not linked (the onboard host library without CANN)
    unlinked: dict[str, str] = field(default_factory=dict)
    checked: list[Path] = field(default_factory=list)  # the programs whose ELF checks passed
    sanitize: tuple[str, ...] = ()  # the sanitizers the programs are instrumented with

    @property
    def up_to_date(self) -> bool:
        return not self.built and not self.from_cache


def build_dir(root: Path | None = None) -> Path:
    return (root or paths.project_root()) / "build"


Sanitize = str | Sequence[str] | None  # "address,undefined", ("address", "undefined"); None: PTOGEN_SANITIZE


def sanitizers(sanitize: Sanitize = None) -> tuple[str, ...]:
    """The sanitizers a build is (or is to be) instrumented with; None reads PTOGEN_SANITIZE."""
    try:
        return sanitize_module.from_environment() if sanitize is None else sanitize_module.parse(sanitize)
    except sanitize_module.SanitizeError as error:
        raise BuildError(str(error)) from error


def variant_dir(
    arch: str, runtime: str, platform: str = "sim", root: Path | None = None, sanitize: Sanitize = None
) -> Path:
    return build_dir(root) / arch / sanitize_module.platform_dir(platform, sanitizers(sanitize)) / runtime


def scene_dir(
    arch: str, runtime: str, scene: str, platform: str = "sim", root: Path | None = None, sanitize: Sanitize = None
) -> Path:
    return variant_dir(arch, runtime, platform, root, sanitize) / "scenes" / scene


def artifacts(
    arch: str,
    runtime: str,
    platform: str = "sim",
    *,
    root: Path | None = None,
    must_exist: bool = True,
    sanitize: Sanitize = None,
) -> Artifacts:
    """Where the programs of (arch, platform, runtime) are; by default, raises naming any that is not built."""
    chosen = sanitizers(sanitize)
    out = variant_dir(arch, runtime, platform, root, chosen)
    found = Artifacts(
        host=out / "libhost_runtime.so",
        aicpu=out / "libaicpu_kernel.so",
        aicore=out / ("libaicore_kernel.so" if platform == "sim" else "aicore_kernel.o"),
        dispatcher=out / "libaicpu_dispatcher.so",
        ptosim=out.parent / "libptosim.so" if platform == "sim" else None,
    )
    if must_exist and found.missing:
        names = ", ".join(paths.display(path) for path in found.missing)
        how = f" --sanitize {','.join(chosen)}" if chosen else ""
        raise MissingArtifactError(
            f"not built: {names}; run `ptogen build --arch {arch} --runtime {runtime} --platform {platform}{how}`"
        )
    return found


def scene_folder(runtime: str, scene: str, root: Path | None = None) -> Path | None:
    """A scene of one runtime lives in examples/<runtime>/<scene>/; one for every runtime in examples/<scene>/."""
    examples = (root or paths.project_root()) / "examples"
    for folder in (examples / runtime / scene, examples / scene):
        if folder.is_dir():
            return folder
    return None


def scene_programs(
    arch: str, runtime: str, scene: str, platform: str = "sim", root: Path | None = None, sanitize: Sanitize = None
) -> list[Path]:
    """Where the kernel and orchestration programs of a scene are built (`<scene folder>/{kernels,orchestration}`)."""
    folder = scene_folder(runtime, scene, root)
    if folder is None:
        return []
    out = scene_dir(arch, runtime, scene, platform, root, sanitize)
    stems = sorted(p.stem for kind in ("kernels", "orchestration") for p in (folder / kind).glob("*.cpp"))
    return [out / f"{stem}.so" for stem in stems]


def known_runtimes(root: Path | None = None) -> list[str]:
    runtimes = (root or paths.project_root()) / "runtimes"
    if not runtimes.is_dir():
        return []
    return sorted(
        p.name for p in runtimes.iterdir() if p.is_dir() and all((p / part).is_dir() for part in VARIANT_PARTS)
    )



def _load(arches: Sequence[str]) -> dict:
    known = load_all()
    unknown = [name for name in arches if name not in known]
    if unknown:
        raise BuildError(f"unknown arch {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'})")
    return {name: known[name] for name in arches}


def _regenerate(selected: dict) -> list[Path]:
    """Bring each arch's generated folder up to date before it is built; returns the files rewritten."""
    if all(status.state == "fresh" for status in generate.compare(selected)):
        return []
    return [status.path for status in generate.write(selected)]


def _is_work(line: str) -> bool:
    return line.startswith(_WORK_PREFIXES) or any(marker in line for marker in _VERBOSE_MARKERS)


def _failure_message(lines: Sequence[str], returncode: int) -> str:
    """The compiler's or SCons' own error lines, without the progress chatter around them."""
    interesting = [
        line for line in lines if line.strip() and not _is_work(line) and not line.startswith(_SCONSTRUCT_NOTES)
    ]
    interesting = [line for line in interesting if not line.startswith("scons: building terminated")]
    for line in interesting:
        if line.startswith(_SCONSTRUCT_ERROR):  # the SConstruct's own one-line errors
            return line.removeprefix(_SCONSTRUCT_ERROR)
    tail = "\n".join(interesting[-_TAIL_LINES:]) or f"scons exited with {returncode}"
    return f"build failed (scons exited with {returncode}):\n{tail}"


@contextlib.contextmanager
def _exclusive(root: Path, echo: Callable[[str], None] | None) -> Iterator[None]:
    """One build at a time per checkout: SCons does not lock its signature database or the outputs."""
    lock_path = build_dir(root) / ".lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if echo is not None:
                echo(f"waiting for another build of {root} to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_scons(command: list[str], root: Path, echo: Callable[[str], None] | None) -> tuple[int, list[str]]:
    env = sanitize_module.without_preload(os.environ)  # SCons and the compiler are not ours to sanitize
    env.pop("SCONSFLAGS", None)  # the caller's -j and arguments are explicit
    lines: list[str] = []
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, env=env
    )
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.rstrip("\n")
        lines.append(line)
        # raised as the BuildError, or reported in BuildResult.unbuilt, instead
        if echo is not None and not line.startswith((_SCONSTRUCT_ERROR, *_SCONSTRUCT_NOTES)):
            echo(line)
    return process.wait(), lines


def _print_line(line: str) -> None:
    print(line, flush=True)


def build(
    arches: Iterable[str] | None = None,
    runtimes: Iterable[str] | None = None,
    platform: str = "sim",
    jobs: int | None = None,
    scenes: Iterable[str] = (),
    *,
    parts: Iterable[str] | None = None,
    echo: Callable[[str], None] | None = _print_line,
    verbose: bool = False,
    sanitize: Sanitize = None,
) -> BuildResult:
    """Regenerate generated/ if stale, build (arch, platform, runtime) for every pair asked, check every program
    it produced (ptogen.elfcheck), return the paths.

    `arches` defaults to every arch, `runtimes` to every runtime variant under runtimes/, `parts` to all of
    host, aicpu, aicore and dispatcher. SCons output goes line by line to `echo` (None: silent) and is kept
    in the result. A failed ELF check raises ElfCheckError naming the file and the reason. `sanitize` builds
    the instrumented variant instead (None: the sanitizers PTOGEN_SANITIZE names, usually none).
    """
    root = paths.project_root()
    if platform not in PLATFORMS:
        raise BuildError(f"platform {platform!r} is not buildable here (buildable: {', '.join(PLATFORMS)})")
    if not (root / "SConstruct").is_file():
        raise BuildError(f"no SConstruct in {root}")
    arch_list = list(arches) if arches else sorted(load_all())
    runtime_list = list(runtimes) if runtimes else known_runtimes(root)
    if not runtime_list:
        raise BuildError("runtimes/ holds no runtime variant (a folder with host/, aicpu/ and aicore/)")
    scene_list = list(scenes)
    part_list = list(parts) if parts else list(PARTS)
    unknown_parts = [part for part in part_list if part not in PARTS]
    if unknown_parts:
        raise BuildError(f"unknown part {', '.join(unknown_parts)} (parts: {', '.join(PARTS)})")
    selected = _load(arch_list)
    chosen = sanitizers(sanitize)
    if chosen and platform != "sim":
        raise BuildError(f"--sanitize is for the sim platform (the {platform} programs run on the device)")

    command = [sys.executable, "-m", "SCons", "-C", str(root), "--debug=explain" if verbose else "-Q"]
    if jobs is not None:
        command.append(f"-j{jobs}")
    command += [f"arch={','.join(arch_list)}", f"runtime={','.join(runtime_list)}", f"platform={platform}"]
    if part_list != list(PARTS):
        command.append(f"parts={','.join(part_list)}")
    if platform != "sim":
        command.append("aicore_arch=" + ",".join(f"{n}:{a.toolchain.aicore_arch}" for n, a in selected.items()))
    if scene_list:
        command.append(f"scenes={','.join(scene_list)}")
    if chosen:
        command.append(f"sanitize={','.join(chosen)}")
    if verbose:
        command.append("verbose=1")

    start = time.perf_counter()
    with _exclusive(root, echo):
        regenerated = _regenerate(selected)
        returncode, lines = _run_scons(command, root, echo)
    if returncode != 0:
        raise BuildError(_failure_message(lines, returncode))
    unbuilt, unlinked = (
        dict(line.removeprefix(prefix).split(": ", 1) for line in lines if line.startswith(prefix))
        for prefix in (_SCONSTRUCT_UNBUILT, _SCONSTRUCT_UNLINKED)
    )
    complete = platform == "sim" and part_list == list(PARTS)
    found = {
        (a, r): artifacts(a, r, platform, root=root, must_exist=complete, sanitize=chosen)
        for a in arch_list
        for r in runtime_list
    }
    programs = [
        (role, path)
        for result in found.values()
        for role, path in result.items()
        if role in part_list and path.is_file()
    ]
    findings = elfcheck.check_programs(programs, platform, root, sanitizers=chosen)
    if findings:
        raise ElfCheckError(findings)
    seconds = time.perf_counter() - start

    return BuildResult(
        artifacts=found,
        scenes={
            (a, r, s): scene_programs(a, r, s, platform, root, chosen)
            for a in arch_list
            for r in runtime_list
            for s in scene_list
            if scene_folder(r, s, root) is not None
        },
        regenerated=regenerated,
        built=[line.strip() for line in lines if _is_work(line)],
        from_cache=[line for line in lines if line.startswith(_CACHE_PREFIX)],
        output="\n".join(lines),
        seconds=seconds,
        platform=platform,
        command=command,
        unbuilt=unbuilt,
        unlinked=unlinked,
        checked=[path for _, path in programs],
        sanitize=chosen,
    )
