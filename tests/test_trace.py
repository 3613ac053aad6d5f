"""The Chrome trace: Trace Event Format rules (required fields per phase, balanced B/E, matched async and
flow ids, time order per track), checked against the run itself, and `ptogen trace` renders it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker
from ptogen.trace import convert_run, validate_trace


def meta(pid: int, tid: int, name: str) -> dict:
    return {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": name}}


GOOD = {"traceEvents": [
    meta(1, 0, "core 0"),
    {"ph": "X", "name": "k", "pid": 1, "tid": 0, "ts": 0, "dur": 5},
    {"ph": "s", "name": "d", "cat": "dep", "id": 1, "pid": 1, "tid": 0, "ts": 4.9},
    {"ph": "B", "name": "outer", "pid": 1, "tid": 0, "ts": 6},
    {"ph": "B", "name": "inner", "pid": 1, "tid": 0, "ts": 6},
    {"ph": "f", "bp": "e", "name": "d", "cat": "dep", "id": 1, "pid": 1, "tid": 0, "ts": 6},
    {"ph": "E", "pid": 1, "tid": 0, "ts": 7},
    {"ph": "E", "pid": 1, "tid": 0, "ts": 8},
]}


def broken(mutate) -> list[str]:
    trace = json.loads(json.dumps(GOOD))
    mutate(trace["traceEvents"])
    return [p.message for p in validate_trace(trace)]


def test_a_good_trace_passes():
    assert validate_trace(GOOD) == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda ev: ev[1].pop("dur"), "lacks dur"),
    (lambda ev: ev.pop(7), "never ends"),
    (lambda ev: ev.pop(3), "E without a B"),
    (lambda ev: ev.pop(5), "never finishes"),
    (lambda ev: ev.pop(2), "without a start"),
    (lambda ev: ev[5].update(ts=4.0), "goes back in time"),
    (lambda ev: ev[1].update(ts=-1), "non-negative"),
    (lambda ev: ev.pop(0), "no thread_name"),
    (lambda ev: ev.append({"ph": "Q", "ts": 1}), "unknown or missing phase"),
    (lambda ev: ev.append(dict(ev[2], ts=9)), "second 's'"),
])
def test_each_rule_is_checked(mutate, expected):
    assert any(expected in message for message in broken(mutate)), broken(mutate)


def test_trace_of_a_bgemm_run_matches_the_run(tmp_path):
    """Kernel events == tasks run; every consumer starts after its producers end (edges the device recorded
    and the replayed dep_gen graph); flows are matched pairs; `ptogen trace` renders the PNG."""
    scene = find_scene("bgemm", "tensormap_and_ringbuffer")
    blob = build_scene(scene, "a2a3")
    out = tmp_path / "bgemm"
    with Worker("a2a3", scene.runtime, device_id=11) as worker:
        run_scene(worker, scene, blob, swimlane=2, dep_gen=True, output_prefix=str(out))
    result = convert_run(out, runtime=scene.runtime)
    trace = json.loads((out / "trace.json").read_text())
    assert validate_trace(trace) == []
    deps = json.loads((out / "deps.json").read_text())
    kernels = {e["args"]["task_id"]: e for e in trace["traceEvents"] if e.get("cat") == "kernel"}
    assert len(kernels) == len(deps["tasks"]) == result.kernel_events > 0
    assert sorted(kernels) == list(range(len(kernels)))
    for producer, consumer in deps["edges"]:
        p, c = kernels[producer], kernels[consumer]
        assert c["ts"] >= p["ts"] + p["dur"] - 0.001
    # Every flow goes from a producer's kernel to a consumer's that starts no earlier.
    starts = {e["id"]: e for e in trace["traceEvents"] if e["ph"] == "s"}
    finishes = {e["id"]: e for e in trace["traceEvents"] if e["ph"] == "f"}
    assert starts.keys() == finishes.keys() and len(starts) == result.flows > 0
    # Level 2: one AICPU dispatch->finish span per task, dispatched before the kernel started.
    dispatch = {e["id"]: e for e in trace["traceEvents"] if e.get("cat") == "aicpu_task" and e["ph"] == "b"}
    assert dispatch.keys() == kernels.keys()
    assert all(dispatch[t]["ts"] <= kernels[t]["ts"] for t in kernels)

    png = tmp_path / "lanes.png"
    cli = subprocess.run([sys.executable, "-m", "ptogen.trace", str(out), "-o", str(png)],
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "valid Trace Event Format" in cli.stdout


def test_trace_command_without_a_trace_is_a_clear_error(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "ptogen.trace", str(tmp_path)], capture_output=True,
                         text=True, check=False)
    assert cli.returncode == 1 and "no trace.json" in cli.stderr


def test_ptogen_run_with_profiling_flags(tmp_path):
    out = tmp_path / "run"
    cli = subprocess.run([sys.executable, "-m", "ptogen", "run", "vector_example", "--arch", "a5", "--runtime",
                          "tensormap_and_ringbuffer", "--trace", "--level", "3", "--pmu", "--scope-stats",
                          "--dump-tensor", "--out", str(out), "--device", "13"],
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    for name in ("trace.json", "swimlane.png", "pmu.csv", "scope_stats.jsonl", "tensor_dump/tensor_dump.json"):
        assert (out / name).is_file() and name in cli.stdout
    assert "event counters are absent" in cli.stdout
    assert validate_trace(json.loads((out / "trace.json").read_text())) == []
    refused = subprocess.run([sys.executable, "-m", "ptogen", "run", "vector_example", "--arch", "a5",
                              "--dep-gen", "--out", str(tmp_path / "no")], capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "a5 has no dep_gen collector" in refused.stderr
    assert not (tmp_path / "no").exists()
