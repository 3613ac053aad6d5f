"""Every profiled run gets its own output directory, even when many start in the same second."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ptogen.trace import cli as trace_cli


def test_runs_in_the_same_second_get_distinct_folders(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(trace_cli.time, "strftime", lambda _: "20260101_120000")  # all in one second
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: trace_cli.new_output_dir(tmp_path / "outputs", "vector_example_a2a3"),
                             range(16)))
    assert len(set(made)) == 16 and all(path.is_dir() for path in made)
    names = sorted(path.name for path in made)
    assert "vector_example_a2a3_20260101_120000" in names and "vector_example_a2a3_20260101_120000_16" in names
