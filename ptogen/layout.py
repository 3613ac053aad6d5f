"""The build layout: where every program lands and what it is called, for SCons and for Python alike.

`SConstruct` (with its SConscripts and site_scons/) decides how a program is built; this module says where:
build/<arch>/<platform>/<runtime>/ holds one runtime variant's programs, build/<platform>/ptosim/ the one
simulator, build/<arch>/<platform>/libptosim.so the link every runtime of the arch finds it through, and a
sanitized build uses "<platform>-<label>" (sim-asan+ubsan) in place of the platform. The driver
(ptogen.build), the harness and the sanitizer runner find programs here; nothing else spells a build path or
a program name. This module imports no SCons and nothing heavy: the SConstruct imports it on every build.
Every function takes the project's root (the tree holding the SConstruct), which SCons and the driver each
know.

The root is a checkout, or the tree an installed wheel carries (ptogen/_data/, laid out like a checkout).
build/ is in the checkout; an installed tree is never written to, so its build folder is in the user's cache,
one per install. PTOGEN_BUILD_DIR chooses the build folder of either.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ptogen import __version__, sanitize

PLATFORMS = ("sim", "onboard")
PARTS = ("host", "aicpu", "aicore", "dispatcher")
# A folder under runtimes/ holding these three is a runtime variant.
VARIANT_PARTS = ("host", "aicpu", "aicore")
# A scene's programs: every kernels/*.cpp and orchestration/*.cpp becomes <stem>.so in the scene's folder.
SCENE_KINDS = ("kernels", "orchestration")
SCENE_PROGRAM_SUFFIX = ".so"

# The programs of one (arch, platform, runtime) and the simulator.
HOST = "libhost_runtime.so"
AICPU = "libaicpu_kernel.so"
AICORE_SIM = "libaicore_kernel.so"
AICORE_ONBOARD = "aicore_kernel.o"  # CANN's ccec object, loaded by the CANN runtime on hardware
DISPATCHER = "libaicpu_dispatcher.so"
PTOSIM = "libptosim.so"
HOST_EXPORT_MAP = "host_exports.map"  # the host library's version script: exactly the C ABI
AICORE_UNITY = "aicore_unity.cpp"  # onboard: the one translation unit ccec compiles

# What a generated arch folder holds besides its C++: the resolved model, for SCons and the harness.
ARCH_JSON = "arch.json"


def program(part: str, platform: str) -> str:
    """The file name of a variant's program: part is one of PARTS."""
    if part == "aicore":
        return AICORE_SIM if platform == "sim" else AICORE_ONBOARD
    return {"host": HOST, "aicpu": AICPU, "dispatcher": DISPATCHER}[part]


# ---- the project's tree -----------------------------------------------------------------------------------

# Where a wheel puts the project's trees (SConstruct, site_scons/, templates/, runtimes/, examples/,
# generated/): setup.py copies them there; an editable install has none and reads its checkout.
INSTALLED_TREE = Path(__file__).resolve().parent / "_data"
BUILD_DIR_ENV = "PTOGEN_BUILD_DIR"


def installed_tree() -> Path | None:
    """The tree this package was installed with, or None (an editable install or a source checkout)."""
    return INSTALLED_TREE if (INSTALLED_TREE / "SConstruct").is_file() else None


def is_installed(root: Path) -> bool:
    """Whether root is an installed tree (read-only: generated/ is shipped, builds go to the user's cache)."""
    return Path(root).resolve() == INSTALLED_TREE


def is_checkout(folder: Path) -> bool:
    """Whether folder is the root of a ptogen checkout."""
    folder = Path(folder)
    return all((folder / name).exists() for name in ("SConstruct", "ptogen/layout.py", "templates/arches"))


def user_build_dir(root: Path) -> Path:
    """An installed tree's build folder: $XDG_CACHE_HOME/ptogen/<version>-<hash of the tree's path>/build, so
    two installs (or versions) never share signatures or programs."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    key = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:12]
    return (cache / "ptogen" / f"{__version__}-{key}" / "build").resolve()


def display(root: Path, path: Path | str) -> str:
    """A path as messages and build/manifest.json name it: relative to a checkout's root when inside it, else
    absolute (an installed tree's files and its build folder are not where the user works)."""
    path = Path(path)
    if not is_installed(root):
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


# ---- build/ -----------------------------------------------------------------------------------------------


def build_dir(root: Path) -> Path:
    """build/ in a checkout, the user's cache for an installed tree; PTOGEN_BUILD_DIR overrides both."""
    override = os.environ.get(BUILD_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    if is_installed(root):
        return user_build_dir(root)
    return Path(root) / "build"


def manifest(root: Path) -> Path:
    """What the last build did, written by SCons and read by the driver (site_scons/build_manifest.py)."""
    return build_dir(root) / "manifest.json"


def compile_commands(root: Path) -> Path:
    return build_dir(root) / "compile_commands.json"


def cache_dir(root: Path) -> Path:
    """Objects and programs keyed by content: identical sources and commands are fetched, not rebuilt."""
    return build_dir(root) / "cache"


def signatures(root: Path) -> Path:
    """SCons' signature database."""
    return build_dir(root) / ".sconsign"


def lock(root: Path) -> Path:
    """Held by the driver while a build runs: SCons locks neither its signatures nor the outputs."""
    return build_dir(root) / ".lock"


def generation_record(root: Path) -> Path:
    """Each arch's generation files (inputs and outputs, with size and time) when a build last found its
    generated folder fresh."""
    return build_dir(root) / ".generated-fresh.json"


def elf_checks(root: Path) -> Path:
    """The programs whose ELF checks passed, each with the size and time of the file that passed."""
    return build_dir(root) / ".elf-checks-passed.json"


def sanitizer_reports(root: Path, arch: str, sanitizers: Iterable[str]) -> Path:
    return build_dir(root) / "sanitizer-reports" / f"{arch}-{platform_dir('sim', sanitizers)}"


def platform_dir(platform: str, sanitizers: Iterable[str] = ()) -> str:
    """The folder name under build/<arch>/ (and build/): "sim", or "sim-asan+ubsan" for a sanitized build."""
    suffix = sanitize.label(sanitizers)
    return f"{platform}-{suffix}" if suffix else platform


def arch_dir(root: Path, arch: str, platform: str, sanitizers: Iterable[str] = ()) -> Path:
    """build/<arch>/<platform>/: the arch's variants, and on sim the link to the simulator they all load."""
    return build_dir(root) / arch / platform_dir(platform, sanitizers)


def variant_dir(root: Path, arch: str, platform: str, runtime: str, sanitizers: Iterable[str] = ()) -> Path:
    return arch_dir(root, arch, platform, sanitizers) / runtime


def object_dir(variant: Path, cross: bool = False) -> Path:
    """Where a variant's objects go, mirroring each source's place in the checkout."""
    return variant / ("obj-aarch64" if cross else "obj")


def ptosim_dir(root: Path, platform: str, sanitizers: Iterable[str] = ()) -> Path:
    """The simulator is built once per platform: it takes each device's geometry at run time."""
    return build_dir(root) / platform_dir(platform, sanitizers) / "ptosim"


def arch_ptosim(root: Path, arch: str, platform: str, sanitizers: Iterable[str] = ()) -> Path:
    """build/<arch>/<platform>/libptosim.so: a link to the one simulator, where the host library's RUNPATH
    ($ORIGIN/..) finds it."""
    return arch_dir(root, arch, platform, sanitizers) / PTOSIM


def scene_dir(root: Path, arch: str, platform: str, runtime: str, scene: str, sanitizers: Iterable[str] = ()) -> Path:
    return variant_dir(root, arch, platform, runtime, sanitizers) / "scenes" / scene


def scene_by_content_dir(root: Path, arch: str, platform: str, runtime: str, sanitizers: Iterable[str] = ()) -> Path:
    """Scene programs built once per content and copied into each scene's folder that carries them."""
    return variant_dir(root, arch, platform, runtime, sanitizers) / "scenes" / ".by-content"


@dataclass(frozen=True)
class Artifacts:
    """The programs of one (arch, platform, runtime) build. Onboard has no simulator (`ptosim` is None) and
    its AICore program is CANN's object file, aicore_kernel.o."""

    host: Path
    aicpu: Path
    aicore: Path
    dispatcher: Path
    ptosim: Path | None = None

    def items(self) -> list[tuple[str, Path]]:
        named = [(name, getattr(self, name)) for name in ("host", "aicpu", "aicore", "dispatcher", "ptosim")]
        return [(name, path) for name, path in named if path is not None]

    @property
    def missing(self) -> list[Path]:
        return [path for _, path in self.items() if not path.is_file()]


def artifacts(root: Path, arch: str, platform: str, runtime: str, sanitizers: Iterable[str] = ()) -> Artifacts:
    """Where the programs of (arch, platform, runtime) are (whether or not they are built)."""
    sanitizers = tuple(sanitizers)
    out = variant_dir(root, arch, platform, runtime, sanitizers)
    paths = {part: out / program(part, platform) for part in PARTS}
    ptosim = arch_ptosim(root, arch, platform, sanitizers) if platform == "sim" else None
    return Artifacts(**paths, ptosim=ptosim)


# ---- sources ----------------------------------------------------------------------------------------------


def generated_roots(root: Path) -> tuple[Path, Path]:
    """Repo arches are generated into generated/ (committed), arches found outside templates/arches/ into
    build/generated/ (never committed); a repo arch wins a name clash, as it does on the arch search path."""
    return Path(root) / "generated", build_dir(root) / "generated"


def generated_arches(root: Path) -> list[str]:
    names: set[str] = set()
    for generated in generated_roots(root):
        if generated.is_dir():
            names.update(p.name for p in generated.iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(names)


def generated_dir(root: Path, arch: str) -> Path | None:
    """The folder an arch's C++ and arch.json were generated into, or None when it was not generated."""
    return next((base / arch for base in generated_roots(root) if (base / arch).is_dir()), None)


def arch_json(root: Path, arch: str) -> Path | None:
    folder = generated_dir(root, arch)
    return None if folder is None else folder / ARCH_JSON


def runtimes_dir(root: Path) -> Path:
    return Path(root) / "runtimes"


def is_runtime_variant(folder: Path) -> bool:
    return all((folder / part).is_dir() for part in VARIANT_PARTS)


def known_runtimes(root: Path) -> list[str]:
    runtimes = runtimes_dir(root)
    if not runtimes.is_dir():
        return []
    return sorted(p.name for p in runtimes.iterdir() if p.is_dir() and is_runtime_variant(p))


def scene_folder(root: Path, runtime: str, scene: str) -> Path | None:
    """A scene of one runtime lives in examples/<runtime>/<scene>/; one for every runtime in examples/<scene>/."""
    examples = Path(root) / "examples"
    return next((f for f in (examples / runtime / scene, examples / scene) if f.is_dir()), None)


def scene_sources(folder: Path) -> Iterator[tuple[str, Path]]:
    """(kind, source) of every program of a scene folder, kernels first."""
    for kind in SCENE_KINDS:
        for source in sorted((folder / kind).glob("*.cpp")):
            yield kind, source


def scene_program(scene_build_dir: Path, source: Path | str) -> Path:
    """The program one scene source becomes in the scene's build folder."""
    return Path(scene_build_dir) / (Path(source).stem + SCENE_PROGRAM_SUFFIX)


def scene_programs(
    root: Path, arch: str, platform: str, runtime: str, scene: str, sanitizers: Iterable[str] = ()
) -> list[Path]:
    """Where the kernel and orchestration programs of a scene are built, sorted by name."""
    folder = scene_folder(root, runtime, scene)
    if folder is None:
        return []
    out = scene_dir(root, arch, platform, runtime, scene, sanitizers)
    return sorted(scene_program(out, source) for _, source in scene_sources(folder))


# ---- a user's scene programs ------------------------------------------------------------------------------
# A scene run from its own folder (anywhere) has its programs built into a folder the user owns, never into
# ptogen's tree: `--build-dir DIR`, by default build/ptogen/ under the current directory.

DEFAULT_SCENE_BUILD = Path("build") / "ptogen"


def scene_folder_tag(folder: Path) -> str:
    """<folder name>-<hash of its absolute path>: two scene folders of one name never share programs."""
    folder = Path(folder).resolve()
    return f"{folder.name}-{hashlib.sha256(str(folder).encode()).hexdigest()[:10]}"


def user_variant_dir(build_root: Path, arch: str, platform: str, runtime: str, sanitizers: Iterable[str] = ()) -> Path:
    return Path(build_root) / arch / platform_dir(platform, sanitizers) / runtime


def user_scene_dir(
    build_root: Path, arch: str, platform: str, runtime: str, folder: Path, sanitizers: Iterable[str] = ()
) -> Path:
    """Where the programs of the scene in `folder` are built under a user's build folder."""
    return user_variant_dir(build_root, arch, platform, runtime, sanitizers) / scene_folder_tag(folder)


def user_scene_by_content_dir(
    build_root: Path, arch: str, platform: str, runtime: str, sanitizers: Iterable[str] = ()
) -> Path:
    """A user's scene programs built once per content, copied into each scene folder that carries them."""
    return user_variant_dir(build_root, arch, platform, runtime, sanitizers) / ".by-content"


def user_scene_programs(
    build_root: Path, arch: str, platform: str, runtime: str, folder: Path, sanitizers: Iterable[str] = ()
) -> list[Path]:
    out = user_scene_dir(build_root, arch, platform, runtime, folder, sanitizers)
    return sorted(scene_program(out, source) for _, source in scene_sources(Path(folder)))
