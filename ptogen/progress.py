"""A running build shown on stderr, from the lines SCons writes to the progress pipe (site_scons/ptobuild/
progress.py): on a terminal, each step in place on one line ("[12/47] CXX file"); otherwise one line when
the build starts working and one when it ends. The lines are shown, never read for results: what a build did
comes from build/manifest.json.

Builds show progress when the process asked for it (`enable()`, which the ptogen command does); a library
caller's builds stay silent.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from typing import TextIO

_enabled = {"on": False}


def enable(on: bool = True) -> None:
    """Show the progress of every build this process runs (the ptogen command turns it on)."""
    _enabled["on"] = on


def enabled() -> bool:
    return _enabled["on"]


class BuildProgress:
    """One build's progress: `follow(fd)` reads the pipe SCons writes steps to; `done()` prints the summary."""

    def __init__(self, what: str, stream: TextIO | None = None):
        self.what = what
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = False  # a step has run: a no-op build prints nothing
        self._shown = False  # a step line is on the terminal's last line
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def follow(self, fd: int) -> None:
        """Show every line arriving on fd (the pipe's read end) until SCons closes it."""

        def read() -> None:
            with os.fdopen(fd, "r", errors="replace") as pipe:
                for line in pipe:
                    self.step(line.rstrip("\n"))

        self._reader = threading.Thread(target=read, name="build-progress", daemon=True)
        self._reader.start()

    def step(self, line: str) -> None:
        with self._lock:
            if not self.started:
                self.started = True
                if not self.tty:
                    self._write(f"building {self.what} ...\n")
            if self.tty:
                self._write("\r\033[K" + _fit(line, shutil.get_terminal_size().columns - 1))
                self._shown = True

    def clear(self) -> None:
        """Take the step line off the terminal, so another line can be printed in its place."""
        with self._lock:
            if self._shown:
                self._write("\r\033[K")
                self._shown = False

    def done(self, summary: str) -> None:
        """After SCons exited: the summary, if the build did anything."""
        if self._reader is not None:
            self._reader.join()
        self.clear()
        if self.started:
            with self._lock:
                self._write(summary + "\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _fit(line: str, width: int) -> str:
    """The line cut to the terminal's width in its middle: the counter and the file's name both stay."""
    if len(line) <= width:
        return line
    head = line.find("] ") + 2
    keep = max(width - head - 3, 0)
    return line[:head] + "..." + line[len(line) - keep:] if keep else line[:width]
