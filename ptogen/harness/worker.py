"""The facade a user drives: a Worker owns one device context of one (arch, runtime) build.

    with Worker("a2a3", "host_build_graph") as worker:
        cid = worker.register(blob)
        timing = worker.run(cid, task_args, block_dim=3, aicpu_thread_num=3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ptogen import layout, paths
from ptogen.arch import export
from ptogen.harness.binding import DeviceContext, HostRuntime, RunTiming
from ptogen.harness.ptosim import Ptosim
from ptogen.harness.ptosim import device_count as ptosim_device_count
from ptogen.harness.task_args import TaskArgs

MAX_CALLABLES = 64


def launch_limits(arch: str) -> tuple[int, int]:
    """The largest block_dim and AICPU scheduler thread count of `arch`, from the arch.json the build reads."""
    path = layout.arch_json(paths.project_root(), arch)
    if path is None or not path.is_file():
        raise WorkerError(f"no generated arch.json for arch {arch!r}; run `ptogen generate --arch {arch}`")
    model = export.read(path)
    return model["cores"]["max_block_dim"], model["aicpu"]["scheduler_threads"]


class WorkerError(RuntimeError):
    pass


class Worker:
    def __init__(self, arch: str, runtime: str, device_id: int = 0, platform: str = "sim", build: bool = True):
        if platform == "sim":
            count = ptosim_device_count()
            if not 0 <= device_id < count:
                raise WorkerError(f"device id {device_id} is outside the simulated devices 0..{count - 1}")
        self.arch, self.runtime, self.device_id, self.platform = arch, runtime, device_id, platform
        self._build = build
        self.context: DeviceContext | None = None
        self.ptosim: Ptosim | None = None
        self._callables: dict[int, bytes] = {}
        self.artifacts: Any = None
        self._limits = (0, 0)  # max block_dim, AICPU scheduler threads: read at init

    def init(self) -> Worker:
        from ptogen import build as builder

        if self.context is not None:
            raise WorkerError("Worker.init: already initialised")
        chosen = builder.sanitizers()  # PTOGEN_SANITIZE: the sanitized build, which needs its runtime preloaded
        if chosen:
            from ptogen import sanitize

            try:
                sanitize.check_loadable(chosen)
            except sanitize.SanitizeError as error:
                raise WorkerError(str(error)) from error
        if self._build:
            builder.build([self.arch], [self.runtime], platform=self.platform, echo=None)
        self.artifacts = builder.artifacts(self.arch, self.runtime, self.platform)
        self._limits = launch_limits(self.arch)
        if self.platform == "sim":
            self.ptosim = Ptosim(self.artifacts.ptosim)  # RTLD_GLOBAL, before the host runtime
            self.ptosim.configure_device(self.device_id, self.arch)
        runtime = HostRuntime(self.artifacts.host)
        context = runtime.context()
        try:
            context.init(
                self.device_id,
                Path(self.artifacts.aicpu).read_bytes(),
                Path(self.artifacts.aicore).read_bytes(),
                Path(self.artifacts.dispatcher).read_bytes(),
            )
        except BaseException:
            context.destroy()
            raise
        self.context = context
        return self

    def _live(self) -> DeviceContext:
        if self.context is None:
            raise WorkerError("the Worker is not initialised (call init) or was closed")
        return self.context

    def register(self, blob: bytes) -> int:
        context = self._live()
        cid = next((i for i in range(MAX_CALLABLES) if i not in self._callables), None)
        if cid is None:
            raise WorkerError(f"all {MAX_CALLABLES} callable ids are in use")
        context.prepare_callable(cid, blob)
        self._callables[cid] = blob
        return cid

    def unregister(self, cid: int) -> None:
        self._live().unregister_callable(cid)
        self._callables.pop(cid, None)

    def run(self, cid: int, task_args: TaskArgs, **config: Any) -> RunTiming:
        """One run of a prepared callable; config is run_prepared's (block_dim, aicpu_thread_num, collectors)."""
        context = self._live()
        self.check_launch(config.get("block_dim", 0), config.get("aicpu_thread_num", 1))
        return context.run_prepared(cid, task_args, **config)

    def check_launch(self, block_dim: int, aicpu_thread_num: int) -> None:
        """A launch shape the arch cannot take is refused here, naming the arch's range, before the device
        sees it."""
        cores, aicpu = self._limits
        if not 0 <= block_dim <= cores:
            raise WorkerError(f"block_dim {block_dim} is outside 0..{cores} for {self.arch} (0: the arch's default)")
        if not 1 <= aicpu_thread_num <= aicpu:
            raise WorkerError(f"aicpu_thread_num {aicpu_thread_num} is outside 1..{aicpu} for {self.arch} "
                              "(its AICPU scheduler threads)")

    def run_rounds(self, cid: int, task_args: TaskArgs, rounds: int, **config: Any) -> list[RunTiming]:
        """`rounds` runs of one prepared callable on the same arguments: what is prepared stays prepared, and
        each round rebuilds only its own state (see the round-reuse tests). Returns each round's timing."""
        if rounds < 1:
            raise WorkerError(f"rounds must be >= 1, got {rounds}")
        context = self._live()
        self.check_launch(config.get("block_dim", 0), config.get("aicpu_thread_num", 1))
        return [context.run_prepared(cid, task_args, **config) for _ in range(rounds)]

    def close(self) -> None:
        if self.context is not None:
            context, self.context = self.context, None
            self._callables.clear()
            context.close()

    def __enter__(self) -> Worker:
        return self.init() if self.context is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
