"""Raw collector exports -> the files a person opens: trace.json (Chrome Trace Event Format), deps.json,
pmu.csv (+ pmu.json), scope_stats.jsonl, tensor_dump/tensor_dump.{bin,json}."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ptogen.trace import records as R

AICORE_PID, AICPU_PID = 1, 2


@dataclass
class ConvertedRun:
    outdir: Path
    files: list[Path] = field(default_factory=list)
    kernel_events: int = 0
    flows: int = 0
    notes: list[str] = field(default_factory=list)


# ---- deps.json --------------------------------------------------------------------------------------


def replay_dependencies(export: R.Export) -> tuple[dict[int, dict[str, int]], list[tuple[int, int]]]:
    """The task graph from dep_gen records: host_build_graph's explicit edges, or tensormap_and_ringbuffer's
    submits replayed with the TensorMap rules (a reader depends on earlier writers of an overlapping byte
    range, a writer on earlier readers and writers of it)."""
    tasks: dict[int, dict[str, int]] = {}
    edges: set[tuple[int, int]] = set()
    begins: list[int] = []
    ends: list[int] = []
    owners: list[int] = []
    writes: list[bool] = []
    records = export.all_records()
    submits = records[records["kind"] == R.DEPGEN_SUBMIT]
    for record in np.sort(submits, order="task_id"):
        task = int(record["task_id"])
        tasks[task] = {"func_id": int(record["func_id"]), "core_type": int(record["core_type"])}
        b_arr, e_arr = np.asarray(begins, np.uint64), np.asarray(ends, np.uint64)
        o_arr, w_arr = np.asarray(owners, np.int64), np.asarray(writes, bool)
        tensors = R.dep_gen_tensors(record)
        for tensor in tensors:
            b, e = int(tensor["begin"]), int(tensor["end"])
            if b == e or not len(b_arr):
                continue
            overlap = (e_arr > b) & (b_arr < e)
            if int(tensor["role"]) == 1:  # IN: only earlier writers matter
                overlap &= w_arr
            for producer in np.unique(o_arr[overlap]):
                edges.add((int(producer), task))
        for tensor in tensors:
            b, e = int(tensor["begin"]), int(tensor["end"])
            if b != e:
                begins.append(b)
                ends.append(e)
                owners.append(task)
                writes.append(int(tensor["role"]) != 1)
    for record in records[records["kind"] == R.DEPGEN_EDGES]:
        task = int(record["task_id"])
        tasks[task] = {"func_id": int(record["func_id"]), "core_type": int(record["core_type"])}
        for successor in R.dep_gen_successors(record):
            edges.add((task, successor))
    return tasks, sorted(edges)


def write_deps(outdir: Path, export: R.Export, result: ConvertedRun) -> list[tuple[int, int]]:
    tasks, edges = replay_dependencies(export)
    doc: dict[str, Any] = {
        "version": 1,
        "source": "dep_gen",
        "complete": export.dropped == 0,
        "dropped_records": export.dropped,
        "tasks": [{"task_id": t, "func_id": v["func_id"], "core_type": R.CORE_TYPE_NAMES.get(v["core_type"], "?")}
                  for t, v in sorted(tasks.items())],
        "edges": [[a, b] for a, b in edges],
    }
    if export.dropped:
        result.notes.append(f"dep_gen dropped {export.dropped} record(s): deps.json is incomplete")
    path = outdir / "deps.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    result.files.append(path)
    return edges


# ---- trace.json -------------------------------------------------------------------------------------


def _nested_begin_end(intervals: list[tuple[int, int, dict[str, Any]]]) -> list[tuple[int, str, dict[str, Any]]]:
    """B/E events of intervals that nest (orchestrator phases), properly ordered; a child that overruns its
    parent is clamped to it."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    stack: list[int] = []
    for start, end, event in sorted(intervals, key=lambda iv: (iv[0], -iv[1])):
        while stack and stack[-1] <= start:
            out.append((stack.pop(), "E", {}))
        if stack:
            end = min(end, stack[-1])
        out.append((start, "B", event))
        stack.append(end)
    while stack:
        out.append((stack.pop(), "E", {}))
    return out


def build_trace(swim: R.Export, extra_edges: list[tuple[int, int]] | None = None,
                func_names: dict[int, str] | None = None, title: str = "") -> dict[str, Any]:
    """The Chrome trace of one run's swimlane records."""
    func_names = func_names or {}
    hz = swim.hz
    cores = swim.aicore_lanes
    records = swim.all_records()
    stamped = records[records["kind"] != R.SWIM_EDGES]
    t0 = int(stamped["start"].min()) if len(stamped) else 0

    def us(ticks: int) -> float:
        return round((int(ticks) - t0) * 1e6 / hz, 3)

    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": AICORE_PID, "tid": 0, "args": {"name": "AICore cores"}},
        {"ph": "M", "name": "process_sort_index", "pid": AICORE_PID, "tid": 0, "args": {"sort_index": 0}},
        {"ph": "M", "name": "process_name", "pid": AICPU_PID, "tid": 0, "args": {"name": "AICPU threads"}},
        {"ph": "M", "name": "process_sort_index", "pid": AICPU_PID, "tid": 0, "args": {"sort_index": 1}},
    ]
    per_track: dict[tuple[int, int], list[dict[str, Any]]] = {}
    kernels: dict[int, dict[str, Any]] = {}
    core_types: dict[int, int] = {}
    for lane in swim.lanes[:cores]:
        for r in lane.records[lane.records["kind"] == R.SWIM_AICORE_TASK]:
            core, task, func = int(r["core"]), int(r["task_id"]), int(r["func_id"])
            core_types[core] = int(r["core_type"])
            name = func_names.get(func, f"func {func}")
            event = {"ph": "X", "name": name, "cat": "kernel", "pid": AICORE_PID, "tid": core,
                     "ts": us(r["start"]), "dur": round((int(r["end"]) - int(r["start"])) * 1e6 / hz, 3),
                     "args": {"task_id": task, "func_id": func, "core": core,
                              "core_type": R.CORE_TYPE_NAMES.get(int(r["core_type"]), "?")}}
            kernels[task] = event
            per_track.setdefault((AICORE_PID, core), []).append(event)
    for core in range(cores):
        kind = R.CORE_TYPE_NAMES.get(core_types.get(core, -1), "")
        events.append({"ph": "M", "name": "thread_name", "pid": AICORE_PID, "tid": core,
                       "args": {"name": f"core {core:02d}" + (f" {kind}" if kind else "")}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": AICORE_PID, "tid": core,
                       "args": {"sort_index": core}})

    device_edges: set[tuple[int, int]] = set()
    for lane in swim.lanes[cores:]:
        thread = lane.index - cores
        recs = lane.records
        if not len(recs):
            continue
        is_orchestrator = bool((recs["kind"] == R.SWIM_ORCH_PHASE).any())
        events.append({"ph": "M", "name": "thread_name", "pid": AICPU_PID, "tid": thread,
                       "args": {"name": "orchestrator" if is_orchestrator else f"scheduler {thread}"}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": AICPU_PID, "tid": thread,
                       "args": {"sort_index": thread}})
        track = per_track.setdefault((AICPU_PID, thread), [])
        nested: list[tuple[int, int, dict[str, Any]]] = []
        for r in recs:
            kind = int(r["kind"])
            if kind == R.SWIM_EDGES:
                for consumer in r["consumers"][: int(r["count"])]:
                    device_edges.add((int(r["task_id"]), int(consumer)))
            elif kind == R.SWIM_AICPU_TASK:
                task = int(r["task_id"])
                common = {"cat": "aicpu_task", "id": task, "pid": AICPU_PID, "tid": thread,
                          "name": f"task {task} dispatch→finish"}
                start = r["start"] if int(r["start"]) else r["end"]
                track.append({**common, "ph": "b", "ts": us(start),
                              "args": {"task_id": task, "core": int(r["core"]), "func_id": int(r["func_id"])}})
                track.append({**common, "ph": "e", "ts": us(r["end"])})
            elif kind == R.SWIM_SCHED_PHASE:
                phase = R.PHASE_NAMES.get(int(r["phase"]), f"phase {int(r['phase'])}")
                args = {"retired": int(r["count"]), "dispatched": int(r["count2"])} if int(r["phase"]) == 2 else {}
                track.append({"ph": "X", "name": phase, "cat": "sched_phase", "pid": AICPU_PID, "tid": thread,
                              "ts": us(r["start"]), "dur": round((int(r["end"]) - int(r["start"])) * 1e6 / hz, 3),
                              "args": args})
            elif kind == R.SWIM_ORCH_PHASE:
                phase_id = int(r["phase"])
                args = {"task_id": int(r["task_id"])} if phase_id in (6, 7, 8) else {}
                nested.append((int(r["start"]), int(r["end"]), {
                    "name": R.PHASE_NAMES.get(phase_id, f"phase {phase_id}"), "cat": "orch_phase", "args": args}))
        for ticks, ph, event in _nested_begin_end(nested):
            track.append({**event, "ph": ph, "pid": AICPU_PID, "tid": thread, "ts": us(ticks)})

    flows = 0
    for producer, consumer in sorted(device_edges | set(extra_edges or ())):
        p, c = kernels.get(producer), kernels.get(consumer)
        if p is None or c is None:
            continue
        flows += 1
        start = max(p["ts"], round(p["ts"] + p["dur"] - 0.001, 3))
        per_track[(AICORE_PID, p["tid"])].append({"ph": "s", "id": flows, "name": "dependency", "cat": "dep",
                                                  "pid": AICORE_PID, "tid": p["tid"], "ts": start})
        per_track[(AICORE_PID, c["tid"])].append({"ph": "f", "bp": "e", "id": flows, "name": "dependency",
                                                  "cat": "dep", "pid": AICORE_PID, "tid": c["tid"], "ts": c["ts"]})
    order = {"E": 0, "e": 0, "f": 1, "X": 2, "B": 2, "b": 2, "s": 3}
    for key in sorted(per_track):
        # Stable: within one timestamp, ends first, then starts (B/E order from the nesting is kept).
        events.extend(sorted(per_track[key], key=lambda ev: (ev["ts"], order.get(ev["ph"], 2))))
    return {
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "otherData": {"title": title, "l2_swimlane_level": swim.level, "sys_counter_hz": hz,
                      "kernel_events": len(kernels), "flows": flows, "dropped_records": swim.dropped,
                      "edges_source": "device fanout" if device_edges else ("deps.json" if extra_edges else "none")},
    }


# ---- pmu, scope stats, tensor dump ------------------------------------------------------------------


def write_pmu(outdir: Path, export: R.Export, result: ConvertedRun) -> None:
    records = export.all_records()
    records = records[np.lexsort((records["start"], records["core"]))]
    has_events = bool(len(records)) and bool((records["event_count"] > 0).any())
    path = outdir / "pmu.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["core_id", "core_type", "task_id", "func_id", "pmu_total_cycles", "event_type",
                         "event_counters"])
        for r in records:
            counters = " ".join(str(int(v)) for v in r["events"][: int(r["event_count"])]) or "absent"
            writer.writerow([int(r["core"]), R.CORE_TYPE_NAMES.get(int(r["core_type"]), "?"), int(r["task_id"]),
                             int(r["func_id"]), int(r["total_cycles"]), int(r["event_type"]), counters])
    meta = {
        "records": int(len(records)), "dropped": export.dropped, "event_type": export.level,
        "cycles_source": f"system counter at {export.hz} Hz (PLATFORM_PROF_SYS_CNT_FREQ): ticks in the kernel call",
        "event_counters": "present" if has_events else
        "absent: this platform (the simulator) has no AICore PMU event counters; only cycles are reported",
    }
    (outdir / "pmu.json").write_text(json.dumps(meta, indent=1) + "\n")
    result.files += [path, outdir / "pmu.json"]
    if not has_events:
        result.notes.append("PMU: cycles only (system counter); event counters are absent on the simulator")


def write_scope_stats(outdir: Path, export: R.Export, result: ConvertedRun) -> None:
    records = export.all_records()
    records = np.sort(records, order="timestamp") if len(records) else records
    t0 = int(records["timestamp"].min()) if len(records) else 0
    path = outdir / "scope_stats.jsonl"
    with path.open("w") as handle:
        handle.write(json.dumps({"version": 1, "dropped": export.dropped, "total": int(len(records)) + export.dropped,
                                 "sys_counter_hz": export.hz}) + "\n")
        for r in records:
            handle.write(json.dumps({
                "event": R.SCOPE_EVENT_NAMES.get(int(r["event"]), "?"), "depth": int(r["depth"]),
                "serial": int(r["serial"]), "time_us": round((int(r["timestamp"]) - t0) * 1e6 / export.hz, 3),
                "tasks_submitted": int(r["tasks_submitted"]),
                "task_window": f"{int(r['task_ring_used'])}/{int(r['task_ring_capacity'])}",
                "heap": f"{int(r['heap_used'])}/{int(r['heap_capacity'])}",
                "tensormap": f"{int(r['tensormap_used'])}/{int(r['tensormap_capacity'])}",
            }) + "\n")
    result.files.append(path)


def write_tensor_dump(outdir: Path, export: R.Export, result: ConvertedRun, runtime: str = "") -> None:
    folder = outdir / "tensor_dump"
    folder.mkdir(exist_ok=True)
    tensors: list[tuple[dict[str, Any], bytes]] = []
    chunks: list[bytes] = []
    at = truncated = 0
    for lane in export.lanes:
        for r in lane.records:
            size = int(r["payload_size"])
            entry: dict[str, Any] = {
                "task_id": int(r["task_id"]), "func_id": int(r["func_id"]), "arg_index": int(r["arg_index"]),
                "role": R.ROLE_NAMES.get(int(r["role"]), "?"), "stage": R.STAGE_NAMES.get(int(r["stage"]), "?"),
                "dtype": R.DTYPE_NAMES[int(r["dtype"])] if int(r["dtype"]) < len(R.DTYPE_NAMES) else "?",
                "shape": [int(v) for v in r["shape"][: min(int(r["ndims"]), 8)]],
                "offset": int(r["offset"]), "device_addr": int(r["device_addr"]), "timestamp": int(r["timestamp"]),
                "truncated": bool(r["truncated"]), "bin_size": 0 if r["truncated"] else size,
            }
            begin = int(r["payload_offset"])
            tensors.append((entry, b"" if r["truncated"] else lane.payload[begin:begin + size]))
    tensors.sort(key=lambda t: (t[0]["timestamp"], t[0]["task_id"], t[0]["arg_index"]))
    for entry, data in tensors:  # the .bin in manifest order
        if entry["truncated"]:
            truncated += 1
            entry["bin_offset"] = None
        else:
            chunks.append(data)
            entry["bin_offset"] = at
            at += len(data)
    bin_path, manifest_path = folder / "tensor_dump.bin", folder / "tensor_dump.json"
    bin_path.write_bytes(b"".join(chunks))
    manifest: dict[str, Any] = {"version": 1, "total": len(tensors), "dropped_records": export.dropped,
                                "truncated": truncated, "bin_bytes": at, "tensors": [t for t, _ in tensors]}
    if not tensors and runtime == "host_build_graph":
        manifest["note"] = ("host_build_graph tasks carry raw pointers and scalars, with no tensor shape, dtype "
                            "or role: nothing can be dumped; tensormap_and_ringbuffer runs are")
        result.notes.append("tensor dump: " + manifest["note"])
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    result.files += [bin_path, manifest_path]


def convert_run(outdir: Path | str, func_names: dict[int, str] | None = None, runtime: str = "",
                title: str = "") -> ConvertedRun:
    """Builds every user-facing file from the raw exports found in `outdir`."""
    outdir = Path(outdir)
    result = ConvertedRun(outdir)
    edges: list[tuple[int, int]] = []
    dep_gen = R.load_export(outdir, "dep_gen")
    if dep_gen is not None:
        edges = write_deps(outdir, dep_gen, result)
    swim = R.load_export(outdir, "l2_swimlane")
    if swim is not None:
        trace = build_trace(swim, edges, func_names, title)
        path = outdir / "trace.json"
        path.write_text(json.dumps(trace) + "\n")
        result.files.append(path)
        result.kernel_events = trace["otherData"]["kernel_events"]
        result.flows = trace["otherData"]["flows"]
        if swim.dropped:
            result.notes.append(f"swimlane dropped {swim.dropped} record(s) (lanes full)")
    pmu = R.load_export(outdir, "pmu")
    if pmu is not None:
        write_pmu(outdir, pmu, result)
    scope = R.load_export(outdir, "scope_stats")
    if scope is not None:
        write_scope_stats(outdir, scope, result)
    dump = R.load_export(outdir, "dump_tensor")
    if dump is not None:
        write_tensor_dump(outdir, dump, result, runtime)
    return result
