"""Building the runtime programs: regenerate `generated/` if stale, run SCons once, report what it did.

The build graph is the SConstruct at the project root; this module runs it as `python -m SCons` in a
subprocess, shows its progress (ptogen.progress), and reads what it did from the manifest it writes
(build/manifest.json: built, cached, up to date, not built and why, the distinct compiler diagnostics).
A failure is a `BuildError` carrying each distinct diagnostic once. Every program a build produced is then
checked with ptogen.elfcheck; a failed check fails the build with the check's words. Where programs land
is ptogen.layout; `artifacts()` is how the harness finds them.

A sanitized sim build (`sanitize=("address", "undefined")`) is its own variant, build/<arch>/sim-asan+ubsan/.
Every function here that names a build's place takes `sanitize`; None means the sanitizers of
PTOGEN_SANITIZE, which a process that preloads their runtimes carries, so the harness run inside it (Worker,
the scene runner) loads the sanitized programs without being told.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ptogen import freshness, layout, paths, progress
from ptogen import sanitize as sanitize_module  # `sanitize` is the parameter's name
from ptogen.arch import Arch, load_all

PLATFORMS = layout.PLATFORMS
PARTS = layout.PARTS
Artifacts = layout.Artifacts
_TAIL_LINES = 40


class BuildError(Exception):
    """A build that could not start or did not finish; the message says what and why."""


class MissingArtifactError(BuildError):
    """A built library the caller needs is not there."""


class ElfCheckError(BuildError):
    """A program was built but is not what its loader expects; `findings` says how."""

    def __init__(self, findings: Sequence[Any]):
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


@dataclass(frozen=True)
class BuildResult:
    """What one `build()` produced and what it had to do for it (build/manifest.json, read back)."""

    artifacts: dict[tuple[str, str], Artifacts]
    scenes: dict[tuple[str, str, str], list[Path]]  # (arch, runtime, scene) -> its programs
    regenerated: list[Path]  # generated/ files rewritten before the build
    built: list[str]  # "CXX <target>", "LINK <target>", ...: empty when everything was up to date
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
    diagnostics: list[str] = field(default_factory=list)  # each distinct compiler diagnostic, once
    failed: list[str] = field(default_factory=list)  # targets that failed (a keep_going build goes on)
    not_reached: list[str] = field(default_factory=list)  # targets a failure left unbuilt (keep_going)
    # (arch, runtime, scene folder) -> its programs, for the scene_dirs asked (under scene_build)
    scene_dirs: dict[tuple[str, str, Path], list[Path]] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        return not self.built and not self.from_cache

    def is_current(self, path: Path) -> bool:
        """Whether `path` is what this build asked for: not failed nor left behind by a failure (the file an
        earlier build left there may still exist)."""
        if not path.is_file():
            return False
        name = paths.display(path)
        return name not in self.failed and name not in self.not_reached


def build_dir(root: Path | None = None) -> Path:
    return layout.build_dir(root or paths.project_root())


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
    return layout.variant_dir(root or paths.project_root(), arch, platform, runtime, sanitizers(sanitize))


def scene_dir(
    arch: str, runtime: str, scene: str, platform: str = "sim", root: Path | None = None, sanitize: Sanitize = None
) -> Path:
    return layout.scene_dir(root or paths.project_root(), arch, platform, runtime, scene, sanitizers(sanitize))


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
    found = layout.artifacts(root or paths.project_root(), arch, platform, runtime, chosen)
    if must_exist and found.missing:
        names = ", ".join(paths.display(path) for path in found.missing)
        how = f" --sanitize {','.join(chosen)}" if chosen else ""
        raise MissingArtifactError(
            f"not built: {names}; run `ptogen build --arch {arch} --runtime {runtime} --platform {platform}{how}`"
        )
    return found


def scene_folder(runtime: str, scene: str, root: Path | None = None) -> Path | None:
    return layout.scene_folder(root or paths.project_root(), runtime, scene)


def scene_programs(
    arch: str, runtime: str, scene: str, platform: str = "sim", root: Path | None = None, sanitize: Sanitize = None
) -> list[Path]:
    """Where the kernel and orchestration programs of a scene are built (`<scene folder>/{kernels,orchestration}`)."""
    return layout.scene_programs(root or paths.project_root(), arch, platform, runtime, scene, sanitizers(sanitize))


def known_runtimes(root: Path | None = None) -> list[str]:
    return layout.known_runtimes(root or paths.project_root())


_runs = {"scons": 0}


def scons_runs() -> int:
    """How many times this process has run SCons: one command is one build."""
    return _runs["scons"]


def _load(arches: Sequence[str], models: dict[str, Arch] | None) -> dict[str, Arch]:
    known = models if models is not None and all(name in models for name in arches) else load_all()
    unknown = [name for name in arches if name not in known]
    if unknown:
        raise BuildError(f"unknown arch {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'})")
    return {name: known[name] for name in arches}


@contextlib.contextmanager
def _exclusive(root: Path, echo: Callable[[str], None] | None) -> Iterator[None]:
    """One build at a time per checkout: SCons does not lock its signature database or the outputs."""
    lock_path = layout.lock(root)
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


def _run_scons(
    command: list[str], root: Path, echo: Callable[[str], None] | None, shown: progress.BuildProgress | None
) -> tuple[int, str, str]:
    """SCons' own lines (stdout) go to echo as they come; its errors (stderr) are kept for the case where it
    dies before writing the manifest. With `shown`, SCons writes each step to a pipe instead, for it to show."""
    env = sanitize_module.without_preload(os.environ)  # SCons and the compiler are not ours to sanitize
    env.pop("SCONSFLAGS", None)  # the caller's -j and arguments are explicit
    if layout.is_installed(root):
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # site_scons/ is imported from the installed tree: write nothing there
    _runs["scons"] += 1
    lines: list[str] = []
    read_end, write_end = os.pipe() if shown is not None else (-1, -1)
    if shown is not None:
        command = [*command, f"progress_fd={write_end}"]
    with tempfile.TemporaryFile("w+") as errors:
        try:
            process = subprocess.Popen(
                command, cwd=root, stdout=subprocess.PIPE, stderr=errors, text=True, bufsize=1, env=env,
                pass_fds=(write_end,) if shown is not None else (),
            )
        except BaseException:
            if shown is not None:
                os.close(read_end)
            raise
        finally:
            if shown is not None:
                os.close(write_end)  # SCons holds the only write end: the pipe ends when it exits
        if shown is not None:
            shown.follow(read_end)
        assert process.stdout is not None
        for raw in process.stdout:
            lines.append(raw.rstrip("\n"))
            if echo is not None:
                if shown is not None:
                    shown.clear()
                echo(lines[-1])
        returncode = process.wait()
        errors.seek(0)
        return returncode, "\n".join(lines), errors.read()


def _read_manifest(root: Path, returncode: int, stderr: str) -> dict[str, Any]:
    try:
        return json.loads(layout.manifest(root).read_text())
    except (OSError, ValueError):
        tail = "\n".join(stderr.strip().splitlines()[-_TAIL_LINES:]) or "no output"
        raise BuildError(f"build failed (scons exited with {returncode}, writing no manifest):\n{tail}") from None


def _failure_message(manifest: dict[str, Any], returncode: int, stderr: str) -> str:
    if manifest.get("error"):  # the SConstruct's own one-line errors
        return str(manifest["error"])
    words = manifest.get("diagnostics") or [f"{f['target']}: {f['error']}" for f in manifest.get("failures", [])]
    tail = "\n".join(words) or "\n".join(stderr.strip().splitlines()[-_TAIL_LINES:]) or "no output"
    return f"build failed (scons exited with {returncode}):\n{tail}"


def _describe(arches: list[str], runtimes: list[str], scenes: list[str], platform: str, chosen: tuple[str, ...]):
    """What a build is of, as its progress lines name it: "a2a3/sim (host_build_graph, ...)"."""
    what = f"{','.join(arches)}/{layout.platform_dir(platform, chosen)} ({', '.join(runtimes)})"
    return what + (f", scene {', '.join(scenes)}" if scenes else "")


def _summary(what: str, manifest: dict[str, Any], returncode: int, seconds: float) -> str:
    """The progress's last line, from the manifest: what the build did (the result follows it)."""
    failures = len(manifest.get("failures", []))
    if returncode != 0 or failures:
        return f"build of {what} failed after {seconds:.1f} s" + (f" ({failures} target(s) failed)" if failures else "")
    built, cached = len(manifest.get("built", [])), len(manifest.get("cached", []))
    return f"built {what} in {seconds:.1f} s: {built} step(s) run, {cached} taken from the cache"


def _generable(selected: dict[str, Arch]) -> dict[str, Arch]:
    """The arches a build may regenerate: all in a checkout; in an installed tree only those found outside it
    (into the build folder), since the shipped generated/ is used as it is and never rewritten."""
    if not paths.installed():
        return selected
    from ptogen.arch.loader import discover

    folders = discover()
    return {name: arch for name, arch in selected.items() if not paths.is_repo_arch(folders[name])}


_said: set[Path] = set()


def _say_which_tree(root: Path) -> None:
    """One line on stderr when the current directory is a ptogen checkout other than the tree being built,
    so an install used from a second checkout does not silently build the first."""
    other = paths.other_checkout()
    if other is None or root in _said:
        return
    _said.add(root)
    print(
        f"ptogen: building {root} (this ptogen's tree), not the checkout at {other}; "
        f"to build that one, install it (pip install -e {other}) or set {paths.ROOT_ENV}={other}",
        file=sys.stderr,
        flush=True,
    )


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
    models: dict[str, Arch] | None = None,
    keep_going: bool = False,
    scene_dirs: Iterable[tuple[str, Path]] = (),
    scene_build: Path | None = None,
    show_progress: bool | None = None,
) -> BuildResult:
    """Regenerate generated/ if stale, build (arch, platform, runtime) for every pair asked and the scenes'
    programs in one SCons run, check every program it produced (ptogen.elfcheck), return the paths.

    `arches` defaults to every arch, `runtimes` to every runtime variant under runtimes/, `parts` to all of
    host, aicpu, aicore and dispatcher. `models` are the arches already loaded by the caller (else they are
    loaded here). SCons' progress lines go to `echo` (None: silent). A failed compile raises BuildError with
    each distinct diagnostic once, unless `keep_going`: then everything else is still built and the result
    names what failed. A failed ELF check raises ElfCheckError naming the file and the reason. `sanitize`
    builds the instrumented variant instead (None: the sanitizers PTOGEN_SANITIZE names, usually none).
    `scene_dirs` are (runtime, folder) of scenes kept anywhere, built into `scene_build`, the user's folder
    (ptogen.layout.user_scene_dir), not into ptogen's build/ nor its cache.
    `show_progress` shows the build's steps on stderr as they run (ptogen.progress; None: as the process
    chose with progress.enable()).
    """
    root = paths.project_root()
    if platform not in PLATFORMS:
        raise BuildError(f"platform {platform!r} is not buildable here (buildable: {', '.join(PLATFORMS)})")
    if not (root / "SConstruct").is_file():
        raise BuildError(f"no SConstruct in {root}")
    arch_list = list(arches) if arches else sorted(models if models is not None else load_all())
    runtime_list = list(runtimes) if runtimes else known_runtimes(root)
    if not runtime_list:
        raise BuildError("runtimes/ holds no runtime variant (a folder with host/, aicpu/ and aicore/)")
    scene_list = list(scenes)
    part_list = list(parts) if parts else list(PARTS)
    unknown_parts = [part for part in part_list if part not in PARTS]
    if unknown_parts:
        raise BuildError(f"unknown part {', '.join(unknown_parts)} (parts: {', '.join(PARTS)})")
    selected = _load(arch_list, models)
    chosen = sanitizers(sanitize)
    if chosen and platform != "sim":
        raise BuildError(f"--sanitize is for the sim platform (the {platform} programs run on the device)")

    command = [sys.executable, "-m", "SCons", "-C", str(root), "--debug=explain" if verbose else "-Q"]
    if jobs is not None:
        command.append(f"-j{jobs}")
    if keep_going:
        command.append("-k")
    command += [f"arch={','.join(arch_list)}", f"runtime={','.join(runtime_list)}", f"platform={platform}"]
    if part_list != list(PARTS):
        command.append(f"parts={','.join(part_list)}")
    if scene_list:
        command.append(f"scenes={','.join(scene_list)}")
    folder_list = [(runtime, Path(folder).resolve()) for runtime, folder in scene_dirs]
    if folder_list:
        if scene_build is None:
            raise BuildError("scene folders need a build folder (scene_build) for their programs")
        scene_build = Path(scene_build).resolve()
        command.append("scene_dirs=" + os.pathsep.join(f"{runtime}={folder}" for runtime, folder in folder_list))
        command.append(f"scene_build={scene_build}")
    if chosen:
        command.append(f"sanitize={','.join(chosen)}")
    if verbose:
        command.append("verbose=1")
    command.append("driven=1")

    start = time.perf_counter()
    _say_which_tree(root)
    with _exclusive(root, echo):
        regenerated = freshness.regenerate(_generable(selected), root)
        layout.manifest(root).unlink(missing_ok=True)
        what = _describe(arch_list, runtime_list, scene_list, platform, chosen)
        wanted = progress.enabled() if show_progress is None else show_progress
        shown = progress.BuildProgress(what) if wanted and not verbose else None  # verbose: commands to echo
        returncode, stdout, stderr = _run_scons(command, root, echo, shown)
        manifest: dict[str, Any] = {}
        try:
            manifest = _read_manifest(root, returncode, stderr)
        finally:  # a build that wrote no manifest still ends its progress (then raises)
            if shown is not None:
                shown.done(_summary(what, manifest, returncode, time.perf_counter() - start))
    if returncode != 0 and not (keep_going and manifest.get("failures") and not manifest.get("error")):
        raise BuildError(_failure_message(manifest, returncode, stderr))
    if returncode == 0 and echo is not None:
        for diagnostic in manifest["diagnostics"]:  # warnings of user code (scene programs build without -Werror)
            echo(diagnostic)
    complete = platform == "sim" and part_list == list(PARTS) and returncode == 0
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
    findings = freshness.check_programs(programs, platform, root, chosen)
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
        built=manifest["built"],
        from_cache=manifest["cached"],
        output=stdout + ("\n" + stderr if stderr else ""),
        seconds=seconds,
        platform=platform,
        command=command,
        unbuilt=manifest["unbuilt"],
        unlinked=manifest["unlinked"],
        checked=[path for _, path in programs],
        sanitize=chosen,
        diagnostics=manifest["diagnostics"],
        failed=[failure["target"] for failure in manifest["failures"]],
        not_reached=manifest["not_reached"],
        scene_dirs={
            (a, r, folder): layout.user_scene_programs(scene_build, a, platform, r, folder, chosen)
            for a in arch_list
            for r, folder in folder_list
        },
    )
