"""The build's progress while it runs: each step as "[12/47] CXX file  [label]", written to the file
descriptor the driver passes (progress_fd=N) for it to show as it comes. Display only: what a build did is
read from build/manifest.json, never from these lines.

The count is of the derived files the requested programs depend on: the total is known once the graph is
read, and a file counts when SCons reaches it, built, taken from build/cache or up to date.
"""

from __future__ import annotations

import os
import threading

from SCons.Script import Flatten, Progress


class StepProgress:
    def __init__(self, fd: int):
        self._out = os.fdopen(fd, "w", buffering=1)
        self._lock = threading.Lock()  # steps are shown from SCons' -j worker threads
        self._derived: set[int] = set()
        self._reached = 0

    def watch(self, targets: list) -> None:
        """Count the derived files under `targets` (the whole graph is read by now) and follow SCons' walk."""
        stack = list(Flatten(targets))
        while stack:
            node = stack.pop()
            if id(node) in self._derived or not node.has_builder():
                continue
            self._derived.add(id(node))
            stack.extend(node.children(scan=0))
        Progress(self._reached_node, interval=1)

    def _reached_node(self, node) -> None:
        if id(node) in self._derived:
            with self._lock:
                self._reached += 1

    def print_cmd_line(self, line: str, target, source, env) -> None:
        """SCons' PRINT_CMD_LINE_FUNC: a step's line (the COMSTR, or "Retrieved ... from cache"), counted."""
        if all(getattr(node, "always_build", False) for node in target):
            return  # rewritten by every build (compile_commands.json): not a sign the build has work
        with self._lock:
            total = len(self._derived)
            text = f"[{min(self._reached, total)}/{total}] {line.strip()}"
            try:
                self._out.write(text + "\n")
            except OSError:  # the driver stopped listening (interrupted): the build goes on
                pass


def from_arguments(arguments: dict) -> StepProgress | None:
    fd = arguments.get("progress_fd")
    return StepProgress(int(fd)) if fd and fd.isdigit() else None
