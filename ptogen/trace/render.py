"""A swimlane PNG of a run's trace.json: one row per AICore core (kernels coloured by function), then one
row per AICPU thread when the trace has their phases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class RenderError(RuntimeError):
    pass


def render_png(trace_path: Path | str, png_path: Path | str | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    trace_path = Path(trace_path)
    if trace_path.is_dir():
        trace_path = trace_path / "trace.json"
    if not trace_path.is_file():
        raise RenderError(f"{trace_path}: no trace.json (run with --trace first)")
    png_path = Path(png_path) if png_path else trace_path.with_name("swimlane.png")
    trace: dict[str, Any] = json.loads(trace_path.read_text())
    events = trace["traceEvents"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    kernels = [e for e in events if e["ph"] == "X" and e.get("cat") == "kernel"]
    phases = [e for e in events if e["ph"] == "X" and e.get("cat") == "sched_phase"]
    if not kernels:
        raise RenderError(f"{trace_path}: no kernel events to draw")
    # Orchestrator phases are B/E pairs: pair them back up per track.
    orch: list[dict[str, Any]] = []
    stacks: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in events:
        if e.get("cat") == "orch_phase" and e["ph"] == "B":
            stacks.setdefault((e["pid"], e["tid"]), []).append(e)
        elif e["ph"] == "E" and stacks.get((e["pid"], e["tid"])):
            begin = stacks[(e["pid"], e["tid"])].pop()
            orch.append({**begin, "dur": e["ts"] - begin["ts"], "depth": len(stacks[(e["pid"], e["tid"])])})

    cores = sorted({e["tid"] for e in kernels} | {tid for pid, tid in names if pid == 1})  # idle cores too
    threads = sorted({e["tid"] for e in phases} | {e["tid"] for e in orch})
    rows = [(1, c) for c in cores] + [(2, t) for t in threads]
    row_of = {key: i for i, key in enumerate(rows)}
    funcs = sorted({e["name"] for e in kernels})
    palette = plt.get_cmap("tab10" if len(funcs) <= 10 else "tab20")
    colour = {name: palette(i % palette.N) for i, name in enumerate(funcs)}
    phase_colour = {"idle": "#dddddd", "boot": "#b0c4de", "exit": "#9fb3c8", "complete+dispatch": "#4a7ab5"}

    end = max(e["ts"] + e.get("dur", 0) for e in kernels + phases + orch)
    height = max(3.0, 0.32 * len(rows) + 1.6)
    fig, ax = plt.subplots(figsize=(14, height), dpi=110)
    for e in kernels:
        ax.broken_barh([(e["ts"], max(e["dur"], end * 0.0015))], (row_of[(1, e["tid"])] - 0.4, 0.8),
                       facecolors=colour[e["name"]], edgecolors="black", linewidth=0.3)
    for e in phases:
        ax.broken_barh([(e["ts"], max(e["dur"], end * 0.0005))], (row_of[(2, e["tid"])] - 0.4, 0.8),
                       facecolors=phase_colour.get(e["name"], "#999999"), linewidth=0)
    for e in orch:
        shrink = min(0.12 * e["depth"], 0.3)
        band = (row_of[(2, e["tid"])] - 0.4 + shrink, 0.8 - 2 * shrink)
        ax.broken_barh([(e["ts"], max(e["dur"], end * 0.0005))], band,
                       facecolors="#e08a2c" if e["name"] != "wait (back-pressure)" else "#c0392b", linewidth=0)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([names.get(key, f"{key[0]}:{key[1]}") for key in rows], fontsize=8 if len(rows) < 40 else 6)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, end * 1.01)
    ax.set_xlabel("time since the first record (µs)")
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    other = trace.get("otherData", {})
    ax.set_title(f"{other.get('title') or trace_path.parent.name}: {len(kernels)} kernels on {len(cores)} cores "
                 f"(swimlane level {other.get('l2_swimlane_level', '?')})", fontsize=10)
    handles = [Patch(facecolor=colour[name], edgecolor="black", label=name) for name in funcs]
    if phases:
        handles += [Patch(facecolor=c, label=f"sched: {n}") for n, c in phase_colour.items()]
    if orch:
        handles += [Patch(facecolor="#e08a2c", label="orchestrator phase"),
                    Patch(facecolor="#c0392b", label="orchestrator wait")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)
    return png_path
