"""Profiling output of a run: the raw collector exports the DeviceRunner writes (`<collector>.bin/.json`)
turned into files a person opens directly — a Chrome Trace Event JSON (Perfetto, chrome://tracing), a
tensor dump with its manifest, a PMU CSV, scope stats JSONL, deps.json — plus a validator for the trace and
a swimlane PNG.

    from ptogen.trace import convert_run, validate_trace
    written = convert_run(outdir)            # after a run with output_prefix=outdir
"""

from __future__ import annotations

from typing import Any

from ptogen.trace.validate import TraceProblem, validate_trace

__all__ = ["ConvertedRun", "TraceProblem", "convert_run", "validate_trace"]


def __getattr__(name: str) -> Any:
    # The converter needs numpy; `ptogen` loads this package for its argument parser on every command, so the
    # converter is imported when first asked for, not then.
    if name in ("ConvertedRun", "convert_run"):
        from ptogen.trace import convert

        return getattr(convert, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
