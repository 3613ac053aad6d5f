"""Profiling output of a run: the raw collector exports the DeviceRunner writes (`<collector>.bin/.json`)
turned into files a person opens directly — a Chrome Trace Event JSON (Perfetto, chrome://tracing), a
tensor dump with its manifest, a PMU CSV, scope stats JSONL, deps.json — plus a validator for the trace and
a swimlane PNG.

    from ptogen.trace import convert_run, validate_trace
    written = convert_run(outdir)            # after a run with output_prefix=outdir
"""

from ptogen.trace.convert import ConvertedRun, convert_run
from ptogen.trace.validate import TraceProblem, validate_trace

__all__ = ["ConvertedRun", "TraceProblem", "convert_run", "validate_trace"]
