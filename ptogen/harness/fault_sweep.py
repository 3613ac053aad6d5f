"""Fault-injection sweep: fail every CANN call a scene's lifecycle makes, one at a time, and check that the
runtime fails cleanly every time.

The lifecycle is init -> prepare -> run (2 rounds) -> finalize on one device context. For each call site —
the n-th call of API a during that lifecycle — ptosim fails exactly that call with a realistic CANN error
code, and the sweep checks:

- an entry point returns a negative rc and the Python exception names the failing call;
- finalize then succeeds (if finalize itself failed, a second finalize is a clean no-op);
- after the device is reset, ptosim holds no live allocation, no live stream, and nothing was destroyed
  with work pending;
- a fresh context in the same process runs the scene and matches the golden.

Call sites come from two clean reference lifecycles: one on a device that has never seen the AICPU program
(so the bootstrap runs) and one on a device that has. Bootstrap call sites are swept on fresh devices, the
others on a bootstrapped one; a site that is never reached (no fault fired) is a failure of the sweep.

Run as `python -m ptogen.harness.fault_sweep ARCH RUNTIME SCENE`: one process per sweep, because the AICPU
bootstrap is remembered per device for the life of a process.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from ptogen import build as builder
from ptogen.harness.binding import DeviceContext, HostRuntime, HostRuntimeError
from ptogen.harness.ptosim import Ptosim
from ptogen.harness.runner import build_scene, check_outputs
from ptogen.harness.scene import Scene, find_scene
from ptogen.harness.task_args import TaskArgs

# The error each API reports when it fails for real (CANN runtime / ACL codes; driver codes for hal*).
REALISTIC_RC = {
    "rtMalloc": 207001,  # ACL_ERROR_RT_MEMORY_ALLOCATION
    "aclrtMalloc": 207001,
    "rtMemcpy": 507899,  # ACL_ERROR_RT_INTERNAL_ERROR
    "aclrtMemcpy": 507899,
    "rtFree": 507899,
    "aclrtFree": 507899,
    "rtStreamCreate": 207000,  # ACL_ERROR_RT_RESOURCE_ALLOC_FAIL
    "rtStreamDestroy": 507899,
    "aclrtSynchronizeStreamWithTimeout": 507046,  # ACL_ERROR_RT_STREAM_SYNC_TIMEOUT
    "aclrtSynchronizeStream": 507018,  # ACL_ERROR_RT_AICPU_EXCEPTION
    "rtSetDevice": 107001,  # ACL_ERROR_RT_INVALID_DEVICEID
    "rtDeviceReset": 507899,
    "rtRegisterAllKernel": 207001,
    "rtsBinaryLoadFromFile": 107000,  # ACL_ERROR_RT_PARAM_INVALID
    "rtsFuncGetByName": 107000,
}
DRIVER_RC = 7  # a driver-internal failure, for the hal* calls
DEFAULT_RC = 507899


def realistic_rc(api: str) -> int:
    if api.startswith("hal"):
        return DRIVER_RC
    return REALISTIC_RC.get(api, DEFAULT_RC)


@dataclass(frozen=True)
class Site:
    api: str
    nth: int
    bootstrap: bool  # only reached on a device whose AICPU program is not yet placed


@dataclass
class SweepResult:
    covered: list[Site] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Lifecycle:
    """init -> prepare -> run x2 -> finalize of one scene on one device, reporting the first failure."""

    def __init__(self, arch: str, scene: Scene, blob: bytes):
        self.arch, self.scene, self.blob = arch, scene, blob
        found = builder.artifacts(arch, scene.runtime)
        self.ptosim = Ptosim(found.ptosim)
        self.runtime = HostRuntime(found.host)
        self.binaries = (found.aicpu.read_bytes(), found.aicore.read_bytes(), found.dispatcher.read_bytes())

    def run(self, device_id: int, check_golden: bool = False) -> tuple[DeviceContext, HostRuntimeError | None]:
        self.ptosim.configure_device(device_id, self.arch)
        context = self.runtime.context()
        case = self.scene.cases[0]
        try:
            context.init(device_id, *self.binaries)
            context.prepare_callable(0, self.blob)
            args = self.scene.make_args(case.params)
            expected = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in args.items()}
            self.scene.golden(expected, case.params)
            for round_index in range(2):
                task_args = TaskArgs.build([args[n] for n in self.scene.tensors], [args[n] for n in self.scene.scalars])
                context.run_prepared(0, task_args, block_dim=case.block_dim, aicpu_thread_num=case.aicpu_thread_num)
                if check_golden:
                    check_outputs(self.scene, args, expected, round_index)
            context.finalize()
        except HostRuntimeError as error:
            return context, error
        return context, None

    def calls(self) -> dict[str, int]:
        return {api: int(count) for api, count in self.ptosim.report()["calls"].items()}


def _reference(lifecycle: Lifecycle, device_id: int) -> dict[str, int]:
    lifecycle.ptosim.reset_counters()
    context, error = lifecycle.run(device_id, check_golden=True)
    context.destroy()
    if error is not None:
        raise RuntimeError(f"the clean reference lifecycle failed: {error}")
    return lifecycle.calls()


def _devices(first: int) -> Iterator[int]:
    yield from range(first, 16)
    raise RuntimeError("the sweep ran out of simulated devices")


def sweep(arch: str, runtime: str, scene_name: str, echo=print) -> SweepResult:
    scene = find_scene(scene_name, runtime)
    blob = build_scene(scene, arch)
    lifecycle = Lifecycle(arch, scene, blob)
    sim = lifecycle.ptosim
    # Devices: 0 reference with bootstrap, then the same device again without; 1 runs the fresh-context
    # checks (bootstrapped once, then reused); 2.. take the bootstrap sites, one device per placed program.
    first = _reference(lifecycle, 0)
    later = _reference(lifecycle, 0)
    sites = [Site(api, n, True) for api in sorted(first) for n in range(1, first[api] - later.get(api, 0) + 1)]
    sites += [Site(api, n, False) for api in sorted(later) for n in range(1, later[api] + 1)]
    fresh_devices = _devices(2)
    bootstrap_device = next(fresh_devices)
    result = SweepResult()

    for site in sites:
        device = bootstrap_device if site.bootstrap else 0
        before = sim.report()
        sim.fail_nth_call(site.api, site.nth, realistic_rc(site.api))
        context, error = lifecycle.run(device)
        fired = sim.report()["faults_injected"] - before["faults_injected"]
        sim.fail_nth_call(site.api, 0, 0)  # disarm, whether or not it fired
        label = f"{site.api} #{site.nth}{' (bootstrap)' if site.bootstrap else ''}"
        problems_before = len(result.problems)
        if fired != 1:
            result.problems.append(f"{label}: the call site was never reached")
            context.destroy()
            continue
        if error is None:
            result.problems.append(f"{label}: every entry point succeeded although the call failed")
        elif site.api not in str(error):
            result.problems.append(f"{label}: the error does not name the failing call: {error}")
        try:
            context.finalize()  # after a failure: finalize must succeed (a second finalize is a no-op)
        except HostRuntimeError as finalize_error:
            result.problems.append(f"{label}: finalize after the failure failed: {finalize_error}")
        context.destroy()
        after = sim.report()
        if after["live_allocations"] != 0 or after["streams_live"] != 0:
            result.problems.append(
                f"{label}: after finalize {after['live_allocations']} allocation(s) and "
                f"{after['streams_live']} stream(s) are live"
            )
        if after["pending_at_destroy"] != before["pending_at_destroy"]:
            result.problems.append(f"{label}: a stream was destroyed with work pending")
        if after["aicpu_bootstraps"] != before["aicpu_bootstraps"] and site.bootstrap:
            bootstrap_device = next(fresh_devices)  # the program got placed: the next bootstrap site needs a new device
        # A fresh context in the same process is not wedged.
        check, check_error = lifecycle.run(1, check_golden=True)
        check.destroy()
        if check_error is not None:
            result.problems.append(f"{label}: a fresh context then failed: {check_error}")
        result.covered.append(site)
        verdict = "ok  " if len(result.problems) == problems_before else "FAIL"
        echo(f"  {verdict} {label}: {str(error).splitlines()[0] if error else ''}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("arch")
    parser.add_argument("runtime")
    parser.add_argument("scene")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args()
    result = sweep(args.arch, args.runtime, args.scene, echo=(lambda _line: None) if args.quiet else print)
    bootstrap = sum(site.bootstrap for site in result.covered)
    print(
        f"fault sweep {args.arch}/{args.runtime}/{args.scene}: {len(result.covered)} call sites covered "
        f"({bootstrap} in the AICPU bootstrap), {len(result.problems)} problem(s)"
    )
    for problem in result.problems:
        print(f"  problem: {problem}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
