"""The command line of the build (`scons arch=... runtime=...`), checked against the checkout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ptogen import layout, sanitize

HELP = """ptogen build graph (usually driven by `ptogen build`)

  arch=A[,B]       arches under generated/ (default: all)
  runtime=R[,S]    runtime variants under runtimes/ (default: every folder with host/ aicpu/ aicore/)
  platform=P       sim (default) or onboard
  parts=P[,Q]      only these of host, aicpu, aicore, dispatcher (default: all)
  sanitize=S[,T]   sim: address, undefined, thread; everything instrumented, into <platform>-<label>/
  scenes=S[,T]     also build examples/<runtime>/<scene>/ (or examples/<scene>/) kernels and orchestration
  scene_dirs=R=D[:R=D]
                   also build the scene folder D (anywhere) for runtime R; entries os.pathsep-separated
  scene_build=DIR  where the scene_dirs= programs go: DIR/<arch>/<platform>/<runtime>/<folder>-<hash>/,
                   never into build/cache
  verbose=1        show compiler commands instead of one line per step
  driven=1         ptogen reads build/manifest.json: compiler output goes there, not to the terminal
  progress_fd=N    write each step as "[12/47] CXX file" to file descriptor N instead of the terminal
"""

# Folders every (arch, runtime) build needs besides the variant's own.
SHARED_FOLDERS = ("device/aicpu", "device/aicore", "device/dispatcher", "platform/{platform}/device")


class OptionError(ValueError):
    """An argument the checkout cannot build; the message is one line."""


@dataclass(frozen=True)
class Request:
    root: Path
    platform: str
    arches: tuple[str, ...]
    runtimes: tuple[str, ...]
    parts: tuple[str, ...]
    scenes: tuple[str, ...]
    scene_dirs: tuple[tuple[str, Path], ...]  # (runtime, scene folder anywhere), built under scene_build
    scene_build: Path | None
    sanitizers: tuple[str, ...]
    verbose: bool
    driven: bool


def _list(arguments: dict, name: str) -> list[str]:
    return [item.strip() for item in arguments.get(name, "").split(",") if item.strip()]


def _flag(arguments: dict, name: str) -> bool:
    return arguments.get(name, "0") not in ("0", "", "no", "false")


def _rel(root: Path, path: Path) -> str:
    return layout.display(root, path)


def read(root: Path, arguments: dict) -> Request:
    """The request in `arguments` (SCons' ARGUMENTS), or OptionError naming what cannot be built."""
    platform = arguments.get("platform", "sim")
    if platform not in layout.PLATFORMS:
        raise OptionError(f"platform '{platform}' is not buildable here (buildable: {', '.join(layout.PLATFORMS)})")

    known = layout.generated_arches(root)
    arches = _list(arguments, "arch") or known
    if not arches:
        raise OptionError("generated/ holds no arch (run `ptogen generate`)")
    for arch in arches:
        if layout.generated_dir(root, arch) is None:
            raise OptionError(
                f"generated/{arch}/ is missing, and build/generated/{arch}/ too (known arches: "
                f"{', '.join(known) or 'none'}; an arch comes from templates/arches/<arch>/ or PTOGEN_ARCH_PATH "
                "through `ptogen generate`)"
            )
        model = layout.arch_json(root, arch)
        if model is not None and not model.is_file():
            raise OptionError(f"{_rel(root, model)} is missing (run `ptogen generate --arch {arch}`)")

    runtimes_dir = layout.runtimes_dir(root)
    runtimes = _list(arguments, "runtime") or layout.known_runtimes(root)
    if not runtimes:
        raise OptionError("runtimes/ holds no runtime variant (a folder with host/, aicpu/ and aicore/)")
    for runtime in runtimes:
        folder = runtimes_dir / runtime
        if not folder.is_dir():
            known_runtimes = ", ".join(layout.known_runtimes(root)) or "none"
            raise OptionError(f"runtimes/{runtime}/ is missing (known runtimes: {known_runtimes})")
        absent = [part for part in layout.VARIANT_PARTS if not (folder / part).is_dir()]
        if absent:
            raise OptionError(f"runtimes/{runtime}/ is not a runtime variant: no {', '.join(p + '/' for p in absent)}")
    for pattern in SHARED_FOLDERS:
        folder = runtimes_dir / pattern.format(platform=platform)
        if not folder.is_dir():
            raise OptionError(f"{_rel(root, folder)}/ is missing (needed by every {platform} build)")
    ptosim = runtimes_dir / "platform" / platform / "ptosim"
    if platform == "sim" and not (ptosim / "SConscript").is_file():
        raise OptionError(
            f"{_rel(root, ptosim)}/SConscript is missing (the {platform} build links {layout.PTOSIM} from it)"
        )

    parts = _list(arguments, "parts") or list(layout.PARTS)
    for part in parts:
        if part not in layout.PARTS:
            raise OptionError(f"unknown part {part!r} (parts: {', '.join(layout.PARTS)})")

    scenes = _list(arguments, "scenes")
    for scene in scenes:
        folders = {layout.scene_folder(root, runtime, scene) for runtime in runtimes} - {None}
        if not folders:
            raise OptionError(
                f"scene {scene} not found: no examples/{scene}/ nor examples/<runtime>/{scene}/ for runtime "
                f"{', '.join(runtimes)}"
            )
        for folder in folders:
            if not any(layout.scene_sources(folder)):
                raise OptionError(f"{_rel(root, folder)}/ has no kernels/*.cpp nor orchestration/*.cpp")

    scene_dirs = []
    for entry in arguments.get("scene_dirs", "").split(os.pathsep):
        if not entry.strip():
            continue
        runtime, _, folder = entry.partition("=")
        if runtime not in runtimes:
            raise OptionError(f"scene_dirs: {entry!r} names runtime {runtime!r}, not one of this build's "
                              f"({', '.join(runtimes)})")
        path = Path(folder).resolve()
        if not any(layout.scene_sources(path)):
            raise OptionError(f"{path}/ has no kernels/*.cpp nor orchestration/*.cpp")
        scene_dirs.append((runtime, path))
    scene_build = Path(arguments["scene_build"]).resolve() if arguments.get("scene_build") else None
    if scene_dirs and scene_build is None:
        raise OptionError("scene_dirs= needs scene_build=DIR, the folder their programs go to")

    try:
        sanitizers = sanitize.parse(arguments.get("sanitize", ""))
    except sanitize.SanitizeError as error:
        raise OptionError(str(error)) from error
    if sanitizers and platform != "sim":
        raise OptionError(f"sanitize= is for the sim platform (the {platform} programs run on the device)")

    return Request(
        root=root,
        platform=platform,
        arches=tuple(arches),
        runtimes=tuple(runtimes),
        parts=tuple(parts),
        scenes=tuple(scenes),
        scene_dirs=tuple(scene_dirs),
        scene_build=scene_build,
        sanitizers=sanitizers,
        verbose=_flag(arguments, "verbose"),
        driven=_flag(arguments, "driven"),
    )
