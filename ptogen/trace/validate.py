"""Checks a trace against the Trace Event Format rules that Perfetto and chrome://tracing rely on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUIRED = {
    "X": ("name", "ts", "dur", "pid", "tid"),
    "B": ("name", "ts", "pid", "tid"),
    "E": ("ts", "pid", "tid"),
    "b": ("name", "cat", "id", "ts", "pid", "tid"),
    "e": ("cat", "id", "ts", "pid", "tid"),
    "s": ("name", "cat", "id", "ts", "pid", "tid"),
    "f": ("name", "cat", "id", "ts", "pid", "tid"),
    "M": ("name", "pid", "args"),
}
METADATA = {"process_name", "thread_name", "process_sort_index", "thread_sort_index", "process_labels"}


@dataclass(frozen=True)
class TraceProblem:
    index: int
    message: str

    def __str__(self) -> str:
        return f"traceEvents[{self.index}]: {self.message}"


def validate_trace(trace: Any) -> list[TraceProblem]:
    """Every rule broken, in file order: required fields per phase, numbers where numbers belong, balanced
    B/E per track, matched async b/e and flow s/f ids (one start, one finish, finish not before start),
    non-decreasing timestamps per track, metadata naming what it names."""
    problems: list[TraceProblem] = []
    if not isinstance(trace, dict) or not isinstance(trace.get("traceEvents"), list):
        return [TraceProblem(-1, "the trace is not an object with a traceEvents list")]
    stacks: dict[tuple[Any, Any], list[tuple[int, str]]] = {}
    last_ts: dict[tuple[Any, Any], float] = {}
    async_open: dict[tuple[Any, Any], int] = {}
    flow_start: dict[Any, tuple[int, float]] = {}
    flow_finish: dict[Any, tuple[int, float]] = {}
    named_threads: set[tuple[Any, Any]] = set()
    used_threads: set[tuple[Any, Any]] = set()
    for i, ev in enumerate(trace["traceEvents"]):
        if not isinstance(ev, dict):
            problems.append(TraceProblem(i, "not an object"))
            continue
        ph = ev.get("ph")
        if ph not in REQUIRED:
            problems.append(TraceProblem(i, f"unknown or missing phase {ph!r}"))
            continue
        missing = [key for key in REQUIRED[ph] if key not in ev]
        if missing:
            problems.append(TraceProblem(i, f"ph {ph} lacks {', '.join(missing)}"))
            continue
        if ph == "M":
            if ev["name"] not in METADATA:
                problems.append(TraceProblem(i, f"unknown metadata {ev['name']!r}"))
            elif ev["name"] in ("process_name", "thread_name") and not isinstance(ev["args"].get("name"), str):
                problems.append(TraceProblem(i, f"{ev['name']} without args.name"))
            if ev["name"] == "thread_name":
                named_threads.add((ev["pid"], ev.get("tid")))
            continue
        ts = ev["ts"]
        if not isinstance(ts, int | float) or isinstance(ts, bool) or ts < 0:
            problems.append(TraceProblem(i, f"ts {ts!r} is not a non-negative number"))
            continue
        track = (ev["pid"], ev["tid"])
        used_threads.add(track)
        if ts < last_ts.get(track, float("-inf")):
            problems.append(TraceProblem(i, f"ts {ts} goes back in time on track pid {track[0]} tid {track[1]} "
                                            f"(last {last_ts[track]})"))
        last_ts[track] = max(ts, last_ts.get(track, ts))
        if ph == "X":
            if not isinstance(ev["dur"], int | float) or ev["dur"] < 0:
                problems.append(TraceProblem(i, f"dur {ev['dur']!r} is not a non-negative number"))
        elif ph == "B":
            stacks.setdefault(track, []).append((i, ev["name"]))
        elif ph == "E":
            stack = stacks.setdefault(track, [])
            if not stack:
                problems.append(TraceProblem(i, f"E without a B on track pid {track[0]} tid {track[1]}"))
            else:
                stack.pop()
        elif ph in ("b", "e"):
            key = (ev["cat"], ev["id"])
            if ph == "b":
                if key in async_open:
                    problems.append(TraceProblem(i, f"async id {key} begins again before it ended"))
                async_open[key] = i
            elif async_open.pop(key, None) is None:
                problems.append(TraceProblem(i, f"async end {key} without a begin"))
        elif ph in ("s", "f"):
            table = flow_start if ph == "s" else flow_finish
            if ev["id"] in table:
                problems.append(TraceProblem(i, f"flow id {ev['id']} has a second '{ph}' event"))
            table[ev["id"]] = (i, float(ts))
    for track, stack in stacks.items():
        for index, name in stack:
            problems.append(TraceProblem(index, f"B event {name!r} on pid {track[0]} tid {track[1]} never ends"))
    for key, index in async_open.items():
        problems.append(TraceProblem(index, f"async id {key} never ends"))
    for flow_id, (index, ts) in flow_start.items():
        if flow_id not in flow_finish:
            problems.append(TraceProblem(index, f"flow id {flow_id} starts and never finishes"))
        elif flow_finish[flow_id][1] < ts:
            problems.append(TraceProblem(flow_finish[flow_id][0], f"flow id {flow_id} finishes before it starts"))
    for flow_id, (index, _) in flow_finish.items():
        if flow_id not in flow_start:
            problems.append(TraceProblem(index, f"flow id {flow_id} finishes without a start"))
    for track in sorted(used_threads - named_threads, key=str):
        problems.append(TraceProblem(-1, f"track pid {track[0]} tid {track[1]} has events but no thread_name"))
    return problems
