"""An arch's resolved model as JSON: generated/<arch>/arch.json, what the build (SCons) and the harness
(ptosim's device geometry) read instead of loading and validating the hook folder again.

The JSON is the model's dataclasses as they are (dataclasses.asdict), so a field added to the model is
exported without touching this file. Keys are sorted and the text ends with a newline, so the output is
byte-identical on every run; `ptogen generate --check` compares it like every generated file.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path, PurePath
from typing import Any

from ptogen import paths
from ptogen.arch import model

FILENAME = "arch.json"
MARKER_KEY = "@generated"
# Which of the arch's templates override which hook blocks: an input of generation that no build or run
# reads (and where the hook files sit is not part of what the arch is).
_NOT_EXPORTED = ("hooks",)


def source(arch: model.Arch, arch_folder: Path) -> str:
    """The arch.toml the model was read from, as the marker names it: by its place on the search path for
    an arch outside the checkout, so the output is the same wherever the folder sits."""
    where = "templates/arches" if paths.is_repo_arch(arch_folder) else f"${paths.ARCH_PATH_ENV}"
    return f"{where}/{arch.name}/arch.toml"


def to_dict(arch: model.Arch) -> dict[str, Any]:
    exported = dataclasses.asdict(arch)
    for name in _NOT_EXPORTED:
        exported.pop(name, None)
    return exported


def _plain(value: Any) -> Any:
    """What json cannot write by itself: an enum is its value, a set its sorted items, a path its text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    raise TypeError(f"arch.json cannot hold {type(value).__name__} {value!r}")


def render(arch: model.Arch, arch_folder: Path) -> str:
    """The text of generated/<arch>/arch.json."""
    marker = f"by ptogen from {source(arch, arch_folder)}. Do not edit: change it and run `ptogen generate`."
    return json.dumps({MARKER_KEY: marker, **to_dict(arch)}, indent=2, sort_keys=True, default=_plain) + "\n"


def read(path: Path) -> dict[str, Any]:
    """A generated arch.json, without its marker."""
    data = json.loads(Path(path).read_text())
    data.pop(MARKER_KEY, None)
    return data
