"""Round-level device resource reuse of the tensormap_and_ringbuffer runtime, read from ptosim's counters on
every arch: rounds after the first create nothing (no rtMalloc, rtStreamCreate, rtRegisterAllKernel), and
move only the run's tensors plus a fixed amount of control traffic; the static arena allocates only when a
request outgrows a region.

The per-round control traffic of a steady round (same callable, same block_dim, same configuration) is

    H2D  = 8 (zeroing the device-wall slot) + get_runtime_size() (the Runtime image)
    D2H  = 8 (the device-wall slot) + OUTCOME_D2H (the run's outcome read back by validate:
           fatal_code, fatal_message, submitted, completed, orch_done)

The core register table and the KernelArgs device copy are written in the first round only: they hold
the same bytes in every round of one configuration, and the DeviceRunner does not copy bytes a slot already
holds. Every size is taken from the runtime itself: a probe compiled against the generated headers prints
sizeof(KernelArgs), sizeof(Runtime) (checked against get_runtime_size()), the fatal message's size and the
ring layout (trb::SmLayout).

Tensor traffic: IN and INOUT tensors are copied in as one range, INOUT and OUT back as one; each range is
the tensors' bytes plus the alignment gaps between consecutive tensors (each starts on a 512-byte arena
offset), so it is exactly the tensor bytes when they are multiples of 512 bytes.
"""

from __future__ import annotations

import subprocess
import textwrap

import numpy as np
import pytest

from ptogen import paths
from ptogen.arch import load_all
from ptogen.harness.abi import ArgDirection
from ptogen.harness.runner import build_scene, check_outputs
from ptogen.harness.scene import Case, Scene, find_scene, scene_folders
from ptogen.harness.task_args import TaskArgs
from ptogen.harness.worker import Worker

RUNTIME = "tensormap_and_ringbuffer"
ARCHES = sorted(load_all())
SCENES = sorted(name for _, name in scene_folders(RUNTIME))
DEVICES = dict(zip(ARCHES, (9, 12, 14), strict=False))  # the module's workers: ids no other module holds open
OWN_DEVICE = 5  # tests that need a fresh context open and close their own
ARENA_ALIGN = 512
ROUNDS = 3
WALL_SLOT = 8  # the device-wall slot: uint64_t nanoseconds

PROBE = r"""
#include <cstdio>
#include <cstdlib>
#include "kernel_args.h"
#include "trb/runtime.h"
int main(int argc, char **argv) {
    std::printf("kernel_args %zu\n", sizeof(KernelArgs));
    std::printf("runtime %zu\n", sizeof(Runtime));
    std::printf("fatal_message %zu\n", sizeof(pto::device::RuntimeCommon::fatal_message));
    std::printf("fatal_code %zu\n", sizeof(pto::device::RuntimeCommon::fatal_code));
    std::printf("counter %zu\n", sizeof(uint32_t));
    for (int i = 1; i + 1 < argc; i += 2) {
        const auto layout = trb::SmLayout::of(static_cast<uint32_t>(std::strtoul(argv[i], nullptr, 0)),
                                              std::strtoull(argv[i + 1], nullptr, 0));
        std::printf("sm %s %s %llu\n", argv[i], argv[i + 1], static_cast<unsigned long long>(layout.total));
    }
    return 0;
}
"""


class Sizes:
    """Sizes of one arch's runtime, printed by a probe compiled against its generated headers."""

    def __init__(self, executable):
        self.executable = executable
        values = self._run()
        self.kernel_args = values["kernel_args"]
        self.runtime = values["runtime"]
        # validate_runtime_impl reads fatal_code, fatal_message and the three progress counters.
        self.outcome_d2h = values["fatal_code"] + values["fatal_message"] + 3 * values["counter"]

    def _run(self, *argv: str) -> dict[str, int]:
        out = subprocess.run([str(self.executable), *argv], check=True, capture_output=True, text=True).stdout
        return {line.split()[0]: int(line.split()[-1]) for line in out.splitlines() if not line.startswith("sm ")}

    def sm_bytes(self, task_ring: int, heap_bytes: int) -> int:
        out = subprocess.run([str(self.executable), str(task_ring), str(heap_bytes)], check=True, capture_output=True,
                             text=True).stdout
        return int(next(line for line in out.splitlines() if line.startswith("sm ")).split()[-1])

    @property
    def steady_h2d(self) -> int:
        return WALL_SLOT + self.runtime

    @property
    def steady_d2h(self) -> int:
        return WALL_SLOT + self.outcome_d2h


def compile_probe(arch: str, folder) -> Sizes:
    root = paths.project_root()
    source = folder / "probe.cpp"
    source.write_text(textwrap.dedent(PROBE))
    executable = folder / "probe"
    includes = [root / "generated" / arch, root / "runtimes" / "include", root / "runtimes" / "device" / "include",
                root / "runtimes" / RUNTIME / "include"]
    subprocess.run(["g++", "-std=c++17", *[f"-I{d}" for d in includes], str(source), "-o", str(executable)],
                   check=True, capture_output=True)
    return Sizes(executable)


@pytest.fixture(scope="module")
def sizes(tmp_path_factory):
    probes: dict[str, Sizes] = {}

    def get(arch: str) -> Sizes:
        if arch not in probes:
            probes[arch] = compile_probe(arch, tmp_path_factory.mktemp(f"probe-{arch}"))
        return probes[arch]

    return get


@pytest.fixture(scope="module")
def workers():
    opened: dict[str, Worker] = {}

    def get(arch: str) -> Worker:
        if arch not in opened:
            opened[arch] = Worker(arch, RUNTIME, device_id=DEVICES[arch]).init()
        return opened[arch]

    yield get
    for worker in opened.values():
        worker.close()


def tensor_traffic(scene: Scene, args: dict) -> tuple[int, int]:
    """(bytes copied in, bytes copied back) by the arena layout: IN, INOUT, OUT, each tensor at a 512-byte
    aligned offset; the in-range ends at the last IN/INOUT byte, the back-range spans INOUT and OUT."""
    signature = dict(zip(scene.tensors, scene.orchestration.signature, strict=False))
    placed: list[tuple[ArgDirection, int, int]] = []  # (direction, offset, nbytes)
    at = 0
    for kind in (ArgDirection.IN, ArgDirection.INOUT, ArgDirection.OUT):
        for name in scene.tensors:
            if signature[name] == kind:
                nbytes = args[name].nbytes
                placed.append((kind, at, nbytes))
                at += -(-max(nbytes, 1) // ARENA_ALIGN) * ARENA_ALIGN

    def span(kinds):
        chosen = [(offset, n) for kind, offset, n in placed if kind in kinds]
        return chosen[-1][0] + chosen[-1][1] - chosen[0][0] if chosen else 0

    return span((ArgDirection.IN, ArgDirection.INOUT)), span((ArgDirection.INOUT, ArgDirection.OUT))


def plain_bytes(scene: Scene, args: dict, kinds) -> int:
    return sum(args[n].nbytes for n, d in zip(scene.tensors, scene.orchestration.signature, strict=False) if d in kinds)


class Rounds:
    """Runs one callable round after round on a worker, checking every round against the golden and
    recording ptosim's counter deltas per round."""

    APIS = ("rtMalloc", "rtFree", "rtStreamCreate", "rtRegisterAllKernel", "rtMemcpy")

    def __init__(self, worker: Worker, scene: Scene, blob: bytes):
        self.worker, self.scene, self.cid = worker, scene, worker.register(blob)

    def run(self, case: Case) -> dict[str, int]:
        sim = self.worker.ptosim
        args = self.scene.make_args(case.params)
        expected = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
        self.scene.golden(expected, case.params)
        before, calls = sim.report(), {api: sim.calls(api) for api in self.APIS}
        task_args = TaskArgs.build([args[n] for n in self.scene.tensors], [args[n] for n in self.scene.scalars])
        self.worker.run(self.cid, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
        after = sim.report()
        check_outputs(self.scene, args, expected, 0)
        delta = {api: sim.calls(api) - calls[api] for api in self.APIS}
        for key in ("bytes_h2d", "bytes_d2h", "live_allocations", "live_bytes"):
            delta[key] = int(after[key]) - int(before[key])
        delta["tensor_in"], delta["tensor_back"] = tensor_traffic(self.scene, args)
        delta["plain_in"] = plain_bytes(self.scene, args, (ArgDirection.IN, ArgDirection.INOUT))
        delta["plain_back"] = plain_bytes(self.scene, args, (ArgDirection.INOUT, ArgDirection.OUT))
        return delta

    def close(self) -> None:
        self.worker.unregister(self.cid)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("name", SCENES)
def test_steady_rounds_create_nothing_and_move_only_tensors(workers, sizes, arch, name):
    scene = find_scene(name, RUNTIME)
    rounds = Rounds(workers(arch), scene, build_scene(scene, arch))
    size = sizes(arch)
    assert size.runtime == workers(arch).context.runtime_size, "the probe's Runtime is the one the library uses"
    try:
        deltas = [rounds.run(scene.cases[0]) for _ in range(ROUNDS)]
    finally:
        rounds.close()
    for index, d in enumerate(deltas[1:], start=1):
        where = f"{name} on {arch}, round {index}"
        assert (d["rtMalloc"], d["rtFree"]) == (0, 0), f"{where}: device memory was allocated or freed: {d}"
        assert d["rtStreamCreate"] == 0 and d["rtRegisterAllKernel"] == 0, f"{where}: {d}"
        assert (d["live_allocations"], d["live_bytes"]) == (0, 0), where
        assert d["bytes_h2d"] == d["tensor_in"] + size.steady_h2d, f"{where}: H2D {d}"
        assert d["bytes_d2h"] == d["tensor_back"] + size.steady_d2h, f"{where}: D2H {d}"
        # One copy each way for the tensors, two control copies in (wall slot, image), six back.
        assert d["rtMemcpy"] == 2 + (d["tensor_in"] > 0) + 6 + (d["tensor_back"] > 0), f"{where}: {d}"
    # Gaps between tensors are copied only where a tensor's size is not a multiple of the arena alignment.
    last = deltas[-1]
    assert last["tensor_in"] - last["plain_in"] < ARENA_ALIGN * len(scene.tensors)
    if name != "paged_attention":  # its block table and context lengths are a few bytes each
        assert (last["tensor_in"], last["tensor_back"]) == (last["plain_in"], last["plain_back"])


@pytest.mark.parametrize("arch", ARCHES)
def test_traffic_difference_is_the_tensor_difference(workers, sizes, arch):
    """The same callable with two tensor sizes: the H2D and D2H differences are exactly the tensor-byte
    differences, so the rest — the control traffic — does not depend on the tensors and equals the constant
    computed from the runtime's sizes."""
    scene = find_scene("vector_example", RUNTIME)
    rounds = Rounds(workers(arch), scene, build_scene(scene, arch))
    small = Case("small", {"n": 4096}, block_dim=3, aicpu_thread_num=4)
    large = Case("large", {"n": 65536}, block_dim=3, aicpu_thread_num=4)
    try:
        rounds.run(large)  # the arena grows to the larger size once
        a, b = rounds.run(small), rounds.run(large)
        a2 = rounds.run(small)
    finally:
        rounds.close()
    # a: float32 a, b in (2 * 4096 * 4), f back; b: the same at 65536.
    assert b["bytes_h2d"] - a["bytes_h2d"] == b["plain_in"] - a["plain_in"] == 2 * (65536 - 4096) * 4
    assert b["bytes_d2h"] - a["bytes_d2h"] == b["plain_back"] - a["plain_back"] == (65536 - 4096) * 4
    size = sizes(arch)
    for d in (a, b, a2):
        assert d["bytes_h2d"] - d["plain_in"] == size.steady_h2d
        assert d["bytes_d2h"] - d["plain_back"] == size.steady_d2h
        assert d["rtMalloc"] == 0, "a smaller request after a larger one reuses the region"
    assert a == a2


@pytest.mark.parametrize("arch", ARCHES)
def test_first_round_writes_the_launch_tables_once(sizes, arch):
    """Round 0 also writes the core register table and the KernelArgs device copy; a changed block_dim
    writes the table again (and only then). KernelArgs is not written again: the table's slot is big enough
    for fewer cores, so every address KernelArgs holds is the same."""
    scene = find_scene("vector_example", RUNTIME)
    blob = build_scene(scene, arch)
    size = sizes(arch)
    cores_per_block = load_all()[arch].cores.aic_per_block + load_all()[arch].cores.aiv_per_block
    with Worker(arch, RUNTIME, device_id=OWN_DEVICE) as worker:
        rounds = Rounds(worker, scene, blob)
        try:
            first = rounds.run(Case("bd3", {"n": 16384}, block_dim=3, aicpu_thread_num=4))
            steady = rounds.run(Case("bd3", {"n": 16384}, block_dim=3, aicpu_thread_num=4))
            other = rounds.run(Case("bd2", {"n": 16384}, block_dim=2, aicpu_thread_num=4))
            again = rounds.run(Case("bd2", {"n": 16384}, block_dim=2, aicpu_thread_num=4))
        finally:
            rounds.close()
    table = lambda block_dim: block_dim * cores_per_block * 8  # noqa: E731 - uint64_t per core
    assert first["bytes_h2d"] - first["plain_in"] == size.steady_h2d + table(3) + size.kernel_args
    assert steady["bytes_h2d"] - steady["plain_in"] == size.steady_h2d
    # block_dim 2 needs a smaller table: the slot is big enough, its content changes.
    assert other["bytes_h2d"] - other["plain_in"] == size.steady_h2d + table(2)
    assert again["bytes_h2d"] - again["plain_in"] == size.steady_h2d
    assert other["rtMalloc"] == again["rtMalloc"] == 0


@pytest.mark.parametrize("arch", ARCHES)
def test_static_arena_grows_only_the_region_asked_to_grow(sizes, arch, monkeypatch):
    """Through the trb ring overrides on one context: equal sizes allocate nothing; a larger task ring
    re-commits only the rings region, a larger heap the heap (and the rings region, whose heap-segment ring
    is sized by the heap), larger tensors only the runtime arena; smaller requests reuse what is there."""
    scene = find_scene("vector_example", RUNTIME)
    blob = build_scene(scene, arch)
    size = sizes(arch)
    case = Case("default", {"n": 16384}, block_dim=3, aicpu_thread_num=4)
    larger = Case("larger", {"n": 32768}, block_dim=3, aicpu_thread_num=4)
    with Worker(arch, RUNTIME, device_id=OWN_DEVICE) as worker:
        rounds = Rounds(worker, scene, blob)
        try:
            monkeypatch.setenv("PTO_TRB_TASK_RING", "64")
            monkeypatch.setenv("PTO_TRB_HEAP_BYTES", str(1 << 20))
            rounds.run(case)
            same = rounds.run(case)
            assert (same["rtMalloc"], same["rtFree"], same["live_bytes"]) == (0, 0, 0)

            monkeypatch.setenv("PTO_TRB_TASK_RING", "128")
            ring = rounds.run(case)
            assert (ring["rtMalloc"], ring["rtFree"]) == (1, 1)
            assert ring["live_bytes"] == size.sm_bytes(128, 1 << 20) - size.sm_bytes(64, 1 << 20)

            monkeypatch.setenv("PTO_TRB_HEAP_BYTES", str(2 << 20))
            heap = rounds.run(case)
            assert (heap["rtMalloc"], heap["rtFree"]) == (2, 2)
            assert heap["live_bytes"] == (1 << 20) + size.sm_bytes(128, 2 << 20) - size.sm_bytes(128, 1 << 20)

            tensors = rounds.run(larger)
            assert (tensors["rtMalloc"], tensors["rtFree"]) == (1, 1)
            assert tensors["live_bytes"] == 3 * 32768 * 4 - 3 * 16384 * 4

            # Everything smaller again: nothing moves.
            monkeypatch.setenv("PTO_TRB_TASK_RING", "16")
            monkeypatch.setenv("PTO_TRB_HEAP_BYTES", str(1 << 19))
            smaller = rounds.run(case)
            assert (smaller["rtMalloc"], smaller["rtFree"], smaller["live_bytes"]) == (0, 0, 0)
        finally:
            rounds.close()


def test_worker_run_rounds_reuses_everything():
    """The Python entry for many rounds: N runs on one prepared callable, nothing allocated after the first."""
    from ptogen.harness.ptosim import Ptosim
    from ptogen.harness.runner import build_scene
    from ptogen.harness.scene import find_scene
    from ptogen.harness.task_args import TaskArgs
    from ptogen.harness.worker import Worker

    scene = find_scene("vector_example", "tensormap_and_ringbuffer")
    blob = build_scene(scene, "a2a3")
    case = scene.cases[0]
    with Worker("a2a3", "tensormap_and_ringbuffer", device_id=OWN_DEVICE) as worker:
        sim: Ptosim = worker.ptosim
        cid = worker.register(blob)
        args = scene.make_args(case.params)
        task_args = TaskArgs.build([args[n] for n in scene.tensors])
        worker.run(cid, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
        mallocs = sim.calls("rtMalloc")
        timings = worker.run_rounds(cid, task_args, 5, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
        assert len(timings) == 5 and sim.calls("rtMalloc") == mallocs
        assert all(args["f"] == 47.0)
