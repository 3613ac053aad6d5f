"""Collectors on the simulation, both arches: records written by the AICPU and AICore programs into the
shared regions, pulled and exported by the host, turned into the user-facing files; the arch's memory mode
(a2a3 host-registered and released every run, a5 copy-back and kept) exercised; enabling again later works."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ptogen import build as builder
from ptogen.arch import load_all
from ptogen.harness.binding import HostRuntimeError
from ptogen.harness.ptosim import Ptosim
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker
from ptogen.trace import convert_run, validate_trace
from ptogen.trace import records as R

ARCHES = sorted(load_all())
DEVICE = {"a2a3": 3, "a5": 10}  # reopened by each test (closed in between)


def kernel_events(trace: dict) -> list[dict]:
    return [e for e in trace["traceEvents"] if e["ph"] == "X" and e.get("cat") == "kernel"]


@pytest.mark.parametrize("arch", ARCHES)
def test_swimlane_on_off_on_one_context(arch, tmp_path):
    scene = find_scene("vector_example", "host_build_graph")
    blob = build_scene(scene, arch)
    live_before = Ptosim(builder.artifacts(arch, scene.runtime).ptosim).report()["live_allocations"]
    with Worker(arch, scene.runtime, device_id=DEVICE[arch]) as worker:
        sim = worker.ptosim
        assert sim is not None
        registered = (sim.calls("halHostRegister"), sim.calls("halHostUnregister"))  # counters are per process
        outs = [tmp_path / f"run{i}" for i in range(3)]
        mallocs = []
        for i, level in enumerate((1, 0, 1)):
            before = sim.calls("rtMalloc")
            config = {"swimlane": level, "output_prefix": str(outs[i])} if level else {}
            run_scene(worker, scene, blob, **config)
            mallocs.append(sim.calls("rtMalloc") - before)
            report = sim.report()
            # a2a3 maps the region into the host and releases it with the run; a5 keeps its copy-back region.
            assert report["host_registrations_live"] == 0
            assert report["invalid_accesses"] == 0
        assert not outs[1].exists()
        for out in (outs[0], outs[2]):
            result = convert_run(out)
            trace = json.loads((out / "trace.json").read_text())
            assert validate_trace(trace) == []
            assert result.kernel_events == len(kernel_events(trace)) == 4  # vector_example's four tasks
        if arch == "a2a3":
            assert sim.calls("halHostRegister") - registered[0] == sim.calls("halHostUnregister") - registered[1] == 2
            assert mallocs[2] == mallocs[1] + 1  # a fresh region every run that enables the collector
        else:
            assert sim.calls("halHostRegister") == registered[0]
            assert mallocs[2] == mallocs[1]  # the region of the first run is reused
    assert sim.report()["live_allocations"] == live_before  # finalize released the kept region (a5) too


@pytest.mark.parametrize("arch", ARCHES)
def test_every_collector_on_trb(arch, tmp_path):
    scene = find_scene("vector_example", "tensormap_and_ringbuffer")
    blob = build_scene(scene, arch)
    has_dep_gen = load_all()[arch].features.dep_gen
    out = tmp_path / "all"
    with Worker(arch, scene.runtime, device_id=DEVICE[arch]) as worker:
        run_scene(worker, scene, blob, swimlane=4, dump_tensor=True, pmu=2, scope_stats=True, dep_gen=has_dep_gen,
                  output_prefix=str(out))
        if not has_dep_gen:
            with pytest.raises(HostRuntimeError, match="no dep_gen"):
                run_scene(worker, scene, blob, dep_gen=True, output_prefix=str(tmp_path / "refused"))
    result = convert_run(out, runtime=scene.runtime)
    trace = json.loads((out / "trace.json").read_text())
    assert validate_trace(trace) == []
    tasks = {e["args"]["task_id"] for e in kernel_events(trace)}
    assert tasks == set(range(5))  # five AIV tasks
    names = {e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert "orchestrator" in names and "scheduler 0" in names
    phases = {e["name"] for e in trace["traceEvents"] if e.get("cat") == "orch_phase"}
    assert {"orchestration", "submit", "alloc", "scope"} <= phases  # level 4
    assert any(e.get("cat") == "aicpu_task" for e in trace["traceEvents"])  # level 2
    assert any(e.get("cat") == "sched_phase" for e in trace["traceEvents"])  # level 3

    # PMU: one record per task, cycles from the system counter, event counters absent (never invented).
    lines = (out / "pmu.csv").read_text().splitlines()
    assert len(lines) == 1 + 5 and all(line.endswith(",absent") for line in lines[1:])
    assert "absent" in json.loads((out / "pmu.json").read_text())["event_counters"]

    # Scope stats: balanced begin/end records with ring usage.
    stats = [json.loads(line) for line in (out / "scope_stats.jsonl").read_text().splitlines()]
    assert stats[0]["dropped"] == 0
    events = [s["event"] for s in stats[1:]]
    assert events.count("begin") == events.count("end") >= 2
    assert all("/" in s["task_window"] and "/" in s["heap"] for s in stats[1:])

    # Tensor dump: the inputs as the kernels saw them, the output as the last kernel left it.
    manifest = json.loads((out / "tensor_dump" / "tensor_dump.json").read_text())
    payload = (out / "tensor_dump" / "tensor_dump.bin").read_bytes()
    assert manifest["truncated"] == 0 and manifest["total"] == len(manifest["tensors"]) > 0
    offsets = [t["bin_offset"] for t in manifest["tensors"]]
    assert offsets == sorted(offsets) and manifest["bin_bytes"] == len(payload)  # the .bin in manifest order

    def values(entry: dict) -> np.ndarray:
        raw = payload[entry["bin_offset"]:entry["bin_offset"] + entry["bin_size"]]
        return np.frombuffer(raw, entry["dtype"])

    first = [t for t in manifest["tensors"] if t["task_id"] == 0 and t["stage"] == "before"]
    assert [t["role"] for t in first] == ["in", "in"] and [t["shape"] for t in first] == [[16384], [16384]]
    assert np.all(values(first[0]) == 2.0) and np.all(values(first[1]) == 3.0)
    outputs = [t for t in manifest["tensors"] if t["stage"] == "after" and t["role"] in ("out", "inout")]
    assert all(t["stage"] == "after" for t in outputs)
    assert any(np.all(values(t) == 47.0) for t in outputs)  # f = (a+b+1)(a+b+2) + (a+b)

    if has_dep_gen:
        deps = json.loads((out / "deps.json").read_text())
        assert deps["complete"] and len(deps["tasks"]) == 5
        assert any(str(p) == "deps.json" for p in (f.name for f in result.files))
        check_order_against_edges(trace, [tuple(e) for e in deps["edges"]])


def check_order_against_edges(trace: dict, edges: list[tuple[int, int]]) -> None:
    by_task = {e["args"]["task_id"]: e for e in kernel_events(trace)}
    assert edges
    for producer, consumer in edges:
        p, c = by_task[producer], by_task[consumer]
        assert c["ts"] >= p["ts"] + p["dur"] - 0.001, f"task {consumer} starts before its producer {producer} ends"


@pytest.mark.parametrize("arch", ARCHES)
def test_hbg_dep_gen_and_level_one(arch, tmp_path):
    scene = find_scene("vector_example", "host_build_graph")
    blob = build_scene(scene, arch)
    has_dep_gen = load_all()[arch].features.dep_gen
    out = tmp_path / "l1"
    with Worker(arch, scene.runtime, device_id=DEVICE[arch]) as worker:
        run_scene(worker, scene, blob, swimlane=1, dep_gen=has_dep_gen, output_prefix=str(out))
    raw = R.load_export(out, "l2_swimlane")
    assert raw is not None and raw.level == 1 and raw.dropped == 0
    kinds = set(raw.all_records()["kind"].tolist())
    assert kinds == {R.SWIM_AICORE_TASK}  # level 1: nothing from the AICPU
    result = convert_run(out)
    trace = json.loads((out / "trace.json").read_text())
    assert validate_trace(trace) == [] and result.kernel_events == 4
    if has_dep_gen:
        deps = json.loads((out / "deps.json").read_text())
        assert sorted(map(tuple, deps["edges"])) == [(0, 1), (0, 2), (1, 3), (2, 3)]  # the orchestration's edges
        assert result.flows == 4  # flows from deps.json at level 1
        check_order_against_edges(trace, [tuple(e) for e in deps["edges"]])


def test_raw_export_layout(tmp_path):
    """The region summary says where each lane's records and payload start."""
    scene = find_scene("vector_example", "tensormap_and_ringbuffer")
    blob = build_scene(scene, "a5")
    with Worker("a5", scene.runtime, device_id=DEVICE["a5"]) as worker:
        run_scene(worker, scene, blob, dump_tensor=True, output_prefix=str(tmp_path))
    summary = json.loads((tmp_path / "dump_tensor.json").read_text())
    assert summary["record_size"] == 256 and summary["lane_payload_bytes"] > 0
    size = Path(tmp_path / "dump_tensor.payload.bin").stat().st_size
    assert size == sum(lane["payload_bytes"] for lane in summary["lanes"]) > 0


@pytest.mark.parametrize("arch", ARCHES)
def test_streaming_drain_keeps_more_than_a_lane_holds(arch, tmp_path, monkeypatch):
    """Lanes are rings drained by a host thread while the run is in flight: a 10000-task chain through
    1024-record lanes keeps every record (none dropped), nothing leaks and no drain thread outlives the run."""
    import threading

    scene = find_scene("chain", "tensormap_and_ringbuffer")
    case = next(c for c in scene.cases if c.params["length"] == 10000)
    blob = build_scene(scene, arch)
    monkeypatch.setenv("PTOGEN_COLLECTOR_LANE_CAPACITY", "1024")
    live_before = Ptosim(builder.artifacts(arch, scene.runtime).ptosim).report()["live_allocations"]
    threads_before = threading.active_count()
    out = tmp_path / "stream"
    with Worker(arch, scene.runtime, device_id=DEVICE[arch]) as worker:
        run_scene(worker, scene, blob, case, swimlane=1, pmu=2, output_prefix=str(out))
        assert threading.active_count() == threads_before
        report = worker.ptosim.report()
        assert report["invalid_accesses"] == 0 and report["host_registrations_live"] == 0
    assert Ptosim(builder.artifacts(arch, scene.runtime).ptosim).report()["live_allocations"] == live_before
    raw = R.load_export(out, "l2_swimlane")
    assert raw is not None and raw.summary["lane_capacity"] == 1024
    assert raw.dropped == 0, [lane.dropped for lane in raw.lanes]
    assert len(raw.all_records()) == 10000 and max(len(lane.records) for lane in raw.lanes) > 4 * 1024
    pmu = R.load_export(out, "pmu")
    assert pmu is not None and pmu.dropped == 0 and len(pmu.all_records()) == 10000
    result = convert_run(out)
    trace = json.loads((out / "trace.json").read_text())
    assert validate_trace(trace) == []
    assert result.kernel_events == len(kernel_events(trace)) == 10000
    assert {e["args"]["task_id"] for e in kernel_events(trace)} == set(range(10000))
