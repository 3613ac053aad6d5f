"""One (arch, platform, runtime) as the SConscripts that build it see it: where its outputs go (from
ptogen/layout.py), the arch's resolved model (generated/<arch>/arch.json), and how a program is made of
every *.cpp of some folders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ptobuild.envs import Environments
from ptobuild.manifest import Manifest
from ptobuild.options import Request
from ptogen import layout


def cpp_sources(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.cpp"))


@dataclass
class Variant:
    request: Request
    envs: Environments
    report: Manifest
    arch: str
    runtime: str
    ptosim: object = None  # sim: build/<arch>/<platform>/libptosim.so, the node the host library links
    _objects: dict = field(default_factory=dict)  # (obj_dir, source) -> node: one object per source and folder

    @property
    def root(self) -> Path:
        return self.request.root

    @property
    def platform(self) -> str:
        return self.request.platform

    @property
    def out(self) -> Path:
        return layout.variant_dir(self.root, self.arch, self.platform, self.runtime, self.request.sanitizers)

    @property
    def label(self) -> str:
        return f"{self.arch}/{layout.platform_dir(self.platform, self.request.sanitizers)}/{self.runtime}"

    @property
    def generated(self) -> Path:
        folder = layout.generated_dir(self.root, self.arch)
        assert folder is not None  # options.read checked it
        return folder

    @property
    def model(self) -> dict:
        """The arch's resolved model as `ptogen generate` wrote it (ptogen/arch/export.py)."""
        return json.loads((self.generated / layout.ARCH_JSON).read_text())

    def wants(self, part: str) -> bool:
        return part in self.request.parts

    def target(self, name: str) -> str:
        return str(self.out / name)

    def folder(self, relative: str) -> Path:
        """A folder of runtimes/, e.g. "device/aicpu"; "{runtime}" and "{platform}" are this variant's."""
        return layout.runtimes_dir(self.root) / relative.format(runtime=self.runtime, platform=self.platform)

    def includes(self) -> list[str]:
        runtimes = layout.runtimes_dir(self.root)
        return [
            str(self.generated),
            *(str(runtimes / f) for f in ("include", "host", "platform/cann", "device/include")),
            str(runtimes / self.runtime / "include"),
        ]

    def sources(self, name: str, folders: list[Path]) -> list[Path]:
        """Every *.cpp of `folders` (in order), or the build's one-line error naming them."""
        sources = [source for folder in folders for source in cpp_sources(folder)]
        if not sources:
            where = ", ".join(f"{layout.display(self.root, f)}/" for f in folders)
            self.report.fail(f"{layout.display(self.root, self.out)}/{name} has no sources: no *.cpp in {where}")
        return sources

    def objects(self, env, sources: list[Path], cross: bool = False) -> list:
        """One object per source, under the variant's object folder mirroring the source's place."""
        obj_dir = layout.object_dir(self.out, cross)
        nodes = []
        for source in sources:
            key = (obj_dir, source)
            if key not in self._objects:
                stem = self._place(source).with_suffix(env.subst("$SHOBJSUFFIX"))
                self._objects[key] = env.SharedObject(target=str(obj_dir / stem), source=str(source))[0]
            nodes.append(self._objects[key])
        return nodes

    def _place(self, source: Path) -> Path:
        """A source's place in the tree, or in the build folder (an installed tree's build/generated/ is not
        under it)."""
        try:
            return source.relative_to(self.root)
        except ValueError:
            return source.relative_to(layout.build_dir(self.root))

    def library(self, name: str, folders: list[Path], env, link_env=None, cross: bool = False):
        """build/.../<name>: a shared library of every *.cpp in `folders`, compiled with env."""
        objects = self.objects(env, self.sources(name, folders), cross)
        return (link_env or env).SharedLibrary(self.target(name), objects)[0]
