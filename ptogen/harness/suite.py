"""A scene suite run case by case, each case on its own: `ptogen test`'s loop, usable from Python.

    for result in run_suite(scene_files, arch, rounds=2):
        print(result.status, result.label, result.reason)

No case decides another's fate. A scene file that does not load is one FAIL naming the file and line; a
case whose programs did not build fails with that reason; a case sized for a bigger chip is a SKIP; and a
case that fails on the device (a timeout, a fault, an error the runtime reports) may leave its context in
error — every later run on it would fail with "the stream is in error from an earlier run" — so its
Worker is closed and the next case gets a fresh one.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ptogen import paths
from ptogen.arch import Arch
from ptogen.harness import ptosim
from ptogen.harness.binding import RunTiming
from ptogen.harness.runner import GoldenMismatch, run_scene, scene_callable
from ptogen.harness.scene import Case, SceneError, error_line_in, load_scene_file
from ptogen.harness.worker import Worker, WorkerError

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


@dataclass(frozen=True)
class CaseResult:
    label: str  # runtime/scene:case, or the scene's folder when its scene.py does not load
    status: str  # PASS, FAIL or SKIP
    reason: str  # why it failed or was skipped; empty for a pass
    seconds: float  # wall time of the case, loading and running included
    timing: RunTiming | None = None  # the last round's, for a pass


def scene_file_of(path: Path) -> Path:
    """A scene folder or its scene.py, as the user named it: the scene.py."""
    return path if path.name == "scene.py" else path / "scene.py"


def too_big(case: Case, arch: Arch) -> str:
    """Why `arch` cannot run `case` (empty when it can): a case sized for a bigger chip is skipped, not failed."""
    if case.block_dim > arch.cores.max_block_dim:
        return f"needs block_dim {case.block_dim}, {arch.name} has at most {arch.cores.max_block_dim}"
    if case.aicpu_thread_num > arch.aicpu.scheduler_threads:
        return (f"needs {case.aicpu_thread_num} AICPU scheduler threads, {arch.name} has at most "
                f"{arch.aicpu.scheduler_threads}")
    return ""


class DevicePool:
    """The simulated device ids a suite may use, one Worker per runtime at a time. A Worker that closed
    cleanly gives its id back; one whose close failed retires its id, since that device may still hold
    state a new context would conflict with."""

    def __init__(self, arch: str, first_device: int, device_count: int):
        self.arch = arch
        self._free = list(range(first_device, device_count))
        self._workers: dict[str, Worker] = {}

    def worker(self, runtime: str) -> Worker:
        if runtime in self._workers:
            return self._workers[runtime]
        if not self._free:
            raise WorkerError("no simulated device id is left for a fresh context (the others are in use or "
                             "were retired after a failed close)")
        device = self._free.pop(0)
        try:
            worker = Worker(self.arch, runtime, device_id=device, build=False).init()
        except BaseException:
            self._free.insert(0, device)  # init destroys what it made: the device holds nothing of it
            raise
        self._workers[runtime] = worker
        return worker

    def discard(self, runtime: str) -> str:
        """Closes the runtime's Worker; returns why its close failed (then its device id is retired)."""
        worker = self._workers.pop(runtime, None)
        if worker is None:
            return ""
        try:
            worker.close()
        except Exception as error:  # the id is retired: the next Worker takes another device
            return f"closing its context failed too ({error}); device {worker.device_id} is not used again"
        self._free.insert(0, worker.device_id)
        return ""

    def close(self) -> None:
        for runtime in list(self._workers):
            self.discard(runtime)


def describe_failure(error: BaseException, scene_file: Path | None = None) -> str:
    """An error's own words; its type too when it is not one of the harness's, and the scene.py line when the
    scene's own code (make_args, golden) raised it."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, (GoldenMismatch, SceneError)) or type(error).__module__.startswith("ptogen."):
        return text
    line = error_line_in(error, scene_file) if scene_file is not None else None
    where = f"{paths.display(scene_file)}:{line}: " if scene_file is not None and line else ""
    return f"{where}{type(error).__name__}: {text}"


def run_suite(scene_paths: Sequence[Path], arch: Arch, *, rounds: int = 2, first_device: int = 0,
              device_count: int | None = None, unbuilt: Collection[Path] = (),
              build_dir: Path | None = None) -> Iterator[CaseResult]:
    """Every case of every scene (folders or scene.py files, in the order given), one result each as it ends.

    Each runtime's cases run on a Worker of their own, on device ids from `first_device` up to `device_count`
    (ptosim's by default). `unbuilt` holds the scene folders whose programs failed to build (the caller built
    them and printed the compiler's words); their cases fail without running. `build_dir` is where the scenes'
    programs were built (runner.default_build_dir() when None)."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    broken = {Path(folder).resolve() for folder in unbuilt}
    pool = DevicePool(arch.name, first_device, ptosim.device_count() if device_count is None else device_count)
    try:
        for path in scene_paths:
            scene_file = scene_file_of(Path(path))
            start = time.perf_counter()
            try:
                scene = load_scene_file(scene_file)
            except Exception as error:  # a scene that does not load is one line; the others still run
                yield CaseResult(paths.display(scene_file.parent), FAIL, describe_failure(error),
                                 time.perf_counter() - start)
                continue
            blob: bytes | None = None
            for case in scene.cases:
                label = f"{scene.runtime}/{scene.name}:{case.name}"
                start = time.perf_counter()
                skip = too_big(case, arch)
                if skip:
                    yield CaseResult(label, SKIP, skip, 0.0)
                    continue
                if scene_file.parent.resolve() in broken:
                    yield CaseResult(label, FAIL, "the scene's programs did not build (the compiler's words are "
                                     "above)", 0.0)
                    continue
                try:
                    blob = blob if blob is not None else scene_callable(scene, arch.name, build_dir=build_dir)
                    result = run_scene(pool.worker(scene.runtime), scene, blob, case, rounds=rounds)
                except (GoldenMismatch, SceneError, FileNotFoundError) as error:  # the context is still sound
                    yield CaseResult(label, FAIL, describe_failure(error), time.perf_counter() - start)
                except Exception as error:  # a device failure may leave the context in error: the next gets a new one
                    reason = describe_failure(error, scene_file)
                    closing = pool.discard(scene.runtime)
                    yield CaseResult(label, FAIL, f"{reason}; {closing}" if closing else reason,
                                     time.perf_counter() - start)
                else:
                    yield CaseResult(label, PASS, "", time.perf_counter() - start, result.rounds[-1])
    finally:
        pool.close()
