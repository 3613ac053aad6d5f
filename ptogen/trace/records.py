"""Reading the raw collector exports. The record layouts mirror runtimes/include/pto/collector_layout.h
(sizes are checked there by static_assert and here on load)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SWIMLANE = np.dtype([
    ("kind", "<u4"), ("task_id", "<u4"), ("func_id", "<i4"), ("core", "<u4"), ("start", "<u8"), ("end", "<u8"),
    ("core_type", "<u4"), ("phase", "<u4"), ("count", "<u4"), ("count2", "<u4"), ("consumers", "<u4", (4,)),
])
PMU = np.dtype([
    ("task_id", "<u4"), ("func_id", "<i4"), ("core", "<u4"), ("core_type", "<u4"), ("start", "<u8"),
    ("total_cycles", "<u8"), ("event_type", "<u4"), ("event_count", "<u4"), ("events", "<u8", (10,)),
    ("reserved", "<u8"),
])
DUMP = np.dtype([
    ("task_id", "<u4"), ("func_id", "<i4"), ("arg_index", "<u4"), ("role", "<u4"), ("stage", "<u4"),
    ("dtype", "<u4"), ("ndims", "<u4"), ("truncated", "<u4"), ("shape", "<u4", (8,)), ("device_addr", "<u8"),
    ("offset", "<u8"), ("payload_offset", "<u8"), ("payload_size", "<u8"), ("timestamp", "<u8"),
    ("reserved", "V152"),
])
SCOPE_STATS = np.dtype([
    ("event", "<u4"), ("depth", "<u4"), ("serial", "<u8"), ("timestamp", "<u8"), ("tasks_submitted", "<u4"),
    ("task_ring_used", "<u4"), ("task_ring_capacity", "<u4"), ("tensormap_used", "<u4"),
    ("tensormap_capacity", "<u4"), ("reserved0", "<u4"), ("heap_used", "<u8"), ("heap_capacity", "<u8"),
])
DEP_GEN_TENSOR = np.dtype([("begin", "<u8"), ("end", "<u8"), ("role", "<u4"), ("reserved", "<u4")])
DEP_GEN = np.dtype([
    ("kind", "<u4"), ("task_id", "<u4"), ("func_id", "<i4"), ("core_type", "<u4"), ("count", "<u4"),
    ("reserved", "<u4", (3,)), ("body", "V480"),
])
LAYOUTS = {"l2_swimlane": SWIMLANE, "pmu": PMU, "dump_tensor": DUMP, "scope_stats": SCOPE_STATS, "dep_gen": DEP_GEN}
for _name, _dtype in LAYOUTS.items():
    assert _dtype.itemsize in (64, 128, 256, 512), (_name, _dtype.itemsize)

# SwimlaneRecordKind / SwimlanePhase / DumpRole / DumpStage / ScopeEvent / DepGenRecordKind
SWIM_AICORE_TASK, SWIM_AICPU_TASK, SWIM_EDGES, SWIM_SCHED_PHASE, SWIM_ORCH_PHASE = 1, 2, 3, 4, 5
PHASE_NAMES = {1: "boot", 2: "complete+dispatch", 3: "idle", 4: "exit", 5: "load orchestration", 6: "submit",
               7: "alloc", 8: "wait (back-pressure)", 9: "scope", 10: "orchestration"}
ROLE_NAMES = {1: "in", 2: "out", 3: "inout"}
STAGE_NAMES = {1: "before", 2: "after"}
SCOPE_EVENT_NAMES = {1: "begin", 2: "end"}
DEPGEN_SUBMIT, DEPGEN_EDGES = 1, 2
CORE_TYPE_NAMES = {0: "AIC", 1: "AIV"}
DTYPE_NAMES = ["float32", "float16", "int32", "int16", "int8", "uint8", "bfloat16", "int64", "uint64", "uint16",
               "uint32"]


class RecordsError(RuntimeError):
    pass


@dataclass
class Lane:
    index: int
    records: np.ndarray
    dropped: int
    payload: bytes = b""
    payload_dropped: int = 0


@dataclass
class Export:
    """One collector's raw export: its summary and its records, lane by lane."""

    collector: str
    summary: dict[str, Any]
    lanes: list[Lane]

    @property
    def hz(self) -> int:
        return int(self.summary["sys_counter_hz"])

    @property
    def level(self) -> int:
        return int(self.summary["level"])

    @property
    def aicore_lanes(self) -> int:
        return int(self.summary.get("aicore_lanes", 0))

    @property
    def dropped(self) -> int:
        return sum(lane.dropped for lane in self.lanes)

    def all_records(self) -> np.ndarray:
        parts = [lane.records for lane in self.lanes if len(lane.records)]
        return np.concatenate(parts) if parts else np.zeros(0, LAYOUTS[self.collector])


def load_export(outdir: Path, collector: str) -> Export | None:
    """The raw export of `collector` under `outdir`, or None when the run did not enable it."""
    summary_path, records_path = outdir / f"{collector}.json", outdir / f"{collector}.bin"
    if not summary_path.is_file():
        return None
    summary = json.loads(summary_path.read_text())
    dtype = LAYOUTS[collector]
    if summary.get("record_size") != dtype.itemsize:
        raise RecordsError(f"{summary_path}: record_size {summary.get('record_size')}, this reader knows "
                           f"{dtype.itemsize} (collector_layout.h and ptogen/trace/records.py disagree)")
    raw = records_path.read_bytes()
    payload_path = outdir / f"{collector}.payload.bin"
    payload = payload_path.read_bytes() if payload_path.is_file() else b""
    lanes = []
    for entry in summary["lanes"]:
        begin, count = int(entry["offset"]), int(entry["records"])
        if begin + count * dtype.itemsize > len(raw):
            raise RecordsError(f"{records_path}: lane {entry['lane']} runs past the end of the file")
        records = np.frombuffer(raw, dtype, count=count, offset=begin) if count else np.zeros(0, dtype)
        p0, psize = int(entry.get("payload_offset", 0)), int(entry.get("payload_bytes", 0))
        lanes.append(Lane(int(entry["lane"]), records, int(entry["dropped"]), payload[p0:p0 + psize],
                          int(entry.get("payload_dropped", 0))))
    return Export(collector, summary, lanes)


def dep_gen_tensors(record: np.void) -> np.ndarray:
    count = min(int(record["count"]), 16)
    return np.frombuffer(record["body"].tobytes(), DEP_GEN_TENSOR, count=count)


def dep_gen_successors(record: np.void) -> list[int]:
    count = min(int(record["count"]), 120)
    return [int(v) for v in np.frombuffer(record["body"].tobytes(), "<u4", count=count)]
