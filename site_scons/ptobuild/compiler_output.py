"""Every command's output captured (SCons' SPAWN), so each distinct compiler diagnostic is shown once.

One build compiles some files several times (the generated DeviceRunner once per runtime variant), and each
compile of a broken file says the same thing. Run by hand, the build prints each distinct diagnostic once
to stderr as it appears; driven by ptogen (driven=1), it prints none and build/manifest.json carries them,
for the driver to show once.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from ptogen import diagnostics


class CompilerOutput:
    def __init__(self, echo: bool):
        self.echo = echo
        self._lock = threading.Lock()  # SCons runs commands from -j worker threads
        self._seen: dict[str, None] = {}

    @property
    def diagnostics(self) -> list[str]:
        with self._lock:
            return list(self._seen)

    def spawn(self, sh, escape, cmd, args, env) -> int:
        """SCons' SPAWN: runs one command line as SCons' own posix spawn does, keeping its output."""
        done = subprocess.run(
            [sh, "-c", " ".join(args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace", check=False,
        )
        if done.stdout:
            with self._lock:
                new = [block for block in diagnostics.split(done.stdout) if block not in self._seen]
                self._seen.update(dict.fromkeys(new))
            if self.echo and new:
                sys.stderr.write("\n".join(new) + "\n")
                sys.stderr.flush()
        return done.returncode
