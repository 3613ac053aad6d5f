"""build/manifest.json: what one build did, written when SCons exits, read by the driver (ptogen.build).

It says which targets were built, taken from build/cache, or already up to date; which programs this
machine could not build or link and why (onboard without CANN or the cross compiler); the build's one-line
error if the request itself was wrong; the targets that failed; and every distinct compiler diagnostic.
The driver reads this file instead of the lines SCons prints.
"""

from __future__ import annotations

import atexit
import json
import sys
from pathlib import Path

import SCons.CacheDir
import SCons.Node
from SCons.Script import Exit, GetBuildFailures

from ptogen import layout

# The step a built node was, by (a word of) the name of the builder that made it, as the progress lines say.
_STEPS = (("Object", "CXX"), ("Library", "LINK"), ("Install", "COPY"))


def _step(node) -> str:
    builder = node.get_builder()
    name = builder.get_name(node.get_env()) if builder is not None else ""
    return next((step for word, step in _STEPS if word in name), "GEN")


class RecordingCacheDir(SCons.CacheDir.CacheDir):
    """build/cache, remembering which targets it handed back (SCons clears a node's own mark after the build)."""

    retrieved: set[str] = set()

    def retrieve(self, node) -> bool:
        found = super().retrieve(node)
        if found:
            self.retrieved.add(node.get_abspath())  # set.add is atomic: -j threads call this
        return found


class Manifest:
    def __init__(self, root: Path, arguments: dict):
        self.root = root
        self.path = layout.manifest(root)
        self.arguments = dict(arguments)
        self.error: str | None = None
        self.unbuilt: dict[str, str] = {}
        self.unlinked: dict[str, str] = {}
        self.programs: list[tuple[object, dict]] = []
        self.output = None  # a CompilerOutput, once the environments exist
        self.echo = True  # say what is not built on the terminal too (not when ptogen reads this file)
        if self.path.exists():
            self.path.unlink()  # a build that dies before writing must not leave the last one's word behind
        atexit.register(self.write)

    def rel(self, path) -> str:
        """A target as the manifest names it: relative to a checkout, absolute outside it (ptogen.layout.display)."""
        path = Path(str(path))
        return layout.display(self.root, path.resolve()) if path.is_absolute() else path.as_posix()

    def fail(self, message: str) -> None:
        """The request cannot be built: one line, no traceback; SCons exits with 2."""
        self.error = message
        print(f"ptogen build: error: {message}", file=sys.stderr)
        Exit(2)

    def program(self, node, **where: str) -> None:
        self.programs.append((node, where))

    def not_built(self, target: Path, reason: str) -> None:
        """A part this machine cannot build (the rest of the build goes on)."""
        self.unbuilt[self.rel(target)] = reason
        if self.echo:
            print(f"not built: {self.rel(target)}: {reason}")

    def not_linked(self, target: Path, reason: str) -> None:
        """Compiled but not linked, because linking needs what this machine lacks."""
        self.unlinked[self.rel(target)] = reason
        if self.echo:
            print(f"not linked: {self.rel(target)}: {reason}")

    def _nodes(self) -> list:
        """Every node the registered programs depend on, each once, children first."""
        seen: set[int] = set()
        ordered: list = []
        stack = [(node, False) for node, _ in reversed(self.programs)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                ordered.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children(scan=0)) if child.has_builder())
        return ordered

    def write(self) -> None:
        steps: dict[str, list[str]] = {"built": [], "cached": [], "up_to_date": [], "not_reached": []}
        for node in self._nodes():
            if not node.has_builder():
                continue
            state = node.get_state()
            if state == SCons.Node.executed:
                bucket = "cached" if node.get_abspath() in RecordingCacheDir.retrieved else "built"
            elif state == SCons.Node.up_to_date:
                bucket = "up_to_date"
            else:
                bucket = "not_reached"
            target = self.rel(node.get_abspath())
            steps[bucket].append(f"{_step(node)} {target}" if bucket == "built" else target)
        report = {
            "@generated": "by the SConstruct at the end of every build; read by ptogen.build",
            "arguments": self.arguments,
            "error": self.error,
            "failures": [
                {"target": self.rel(getattr(failure.node, "abspath", failure.node)), "error": str(failure.errstr)}
                for failure in GetBuildFailures()
            ],
            "diagnostics": self.output.diagnostics if self.output is not None else [],
            "programs": {self.rel(node.get_abspath()): where for node, where in self.programs},
            "unbuilt": self.unbuilt,
            "unlinked": self.unlinked,
            **steps,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(report, indent=1) + "\n")  # in build order, as the driver reports it
