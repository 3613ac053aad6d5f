"""`ptogen new-arch NAME --from ARCH`: scaffold a hook folder that generates exactly what ARCH generates.

The scaffold writes what ARCH decides, and only that, so a new user edits values instead of discovering keys
and every shared line stays in the base templates:

- `arch.toml` holds every constant of the arch model, each preceded by its documentation — taken from the
  `doc` metadata of the dataclass fields in ptogen/arch/model.py, the one place the schema is described —
  with ARCH's values (ARCH's own literal spelling where it has one, so `0x4C8` stays hex).
- one hook file per hook file of ARCH, at the same path, holding the hook blocks ARCH writes, verbatim (read
  through the loader's parser, ptogen/arch/hookfile.py). Never a base template's default: a copied default
  is a fork that the next fix to the default would not reach, and `generate --check` could not see it.

The folder is written beside its siblings under a temporary name and renamed into place, so a failure
leaves nothing half-written; an existing folder is never touched.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import textwrap
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path

from ptogen import paths, templating
from ptogen.arch import hookfile, loader, model

WIDTH = 110


class NewArchError(Exception):
    """The scaffold cannot be written; the message says why."""


# ---------------------------------------------------------------------------------------------------------------
# arch.toml


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(text, WIDTH - len(indent) - 2)]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


class _Literals:
    """The literal text ARCH's arch.toml wrote for each scalar key (`0x4C8`, `50_000_000`), by dotted key."""

    _key = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=\s*(.*?)\s*$")

    def __init__(self, text: str):
        self.by_key: dict[str, str] = {}
        lines = loader._TomlLines(text).lines
        by_line = {line: key for key, line in lines.items()}
        source = text.splitlines()
        for line, key in by_line.items():
            match = self._key.match(source[line - 1])
            if match:
                literal = _strip_trailing_comment(match.group(2))
                if literal and not literal.startswith(("[", "{", '"""', "'''")):
                    self.by_key[key] = literal

    def spell(self, key: str, value: object) -> str:
        """ARCH's literal when it still means `value`, else a canonical spelling."""
        literal = self.by_key.get(key)
        if literal is not None:
            try:
                if tomllib.loads(f"v = {literal}")["v"] == value:
                    return literal
            except ValueError:
                pass
        return _toml_value(value)


def _strip_trailing_comment(text: str) -> str:
    quote = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return text[:index].rstrip()
    return text.strip()


def _fields(cls: type) -> list[tuple[dataclasses.Field, object]]:
    hints = typing.get_type_hints(cls, globalns=vars(model))
    return [(f, hints[f.name]) for f in dataclasses.fields(cls) if "doc" in f.metadata]


def constants_text(arch: model.Arch, source_text: str, source_name: str) -> str:
    """The arch.toml of a copy of `arch`: every key of the model, each under its documentation."""
    literals = _Literals(source_text)
    out: list[str] = [
        f"# Constants of this arch, scaffolded by `ptogen new-arch --from {source_name}`. Every key the arch model",
        "# (ptogen/arch/model.py) knows is here, under its documentation there. The folder's name is the arch's",
        "# name; `ptogen list` shows the key constants, and a wrong key or type is reported with its line.",
    ]
    tables: list[tuple[dataclasses.Field, object]] = []
    for field, hint in _fields(model.Arch):
        if dataclasses.is_dataclass(hint):
            tables.append((field, hint))
            continue
        out += ["", *_comment(f"{field.name} ({loader.type_name(hint)}): {field.metadata['doc']}")]
        out.append(f"{field.name} = {literals.spell(field.name, getattr(arch, field.name))}")
    for field, cls in tables:
        section = getattr(arch, field.name)
        out += ["", *_comment(f"[{field.name}] {field.metadata['doc']}"), f"[{field.name}]"]
        arrays: list[tuple[dataclasses.Field, object]] = []
        for sub, hint in _fields(typing.cast(type, cls)):
            if typing.get_origin(hint) is tuple:
                arrays.append((sub, hint))
                continue
            key = f"{field.name}.{sub.name}"
            out += [*_comment(f"{sub.name} ({loader.type_name(hint)}): {sub.metadata['doc']}")]
            out.append(f"{sub.name} = {literals.spell(key, getattr(section, sub.name))}")
        for sub, hint in arrays:
            (item_cls, _) = typing.get_args(hint)
            key = f"{field.name}.{sub.name}"
            out += ["", *_comment(f"[[{key}]] {sub.metadata['doc']}; one table per entry, none is fine.")]
            item_fields = _fields(item_cls)
            out += _comment(
                "Each entry: "
                + "; ".join(f"{f.name} ({loader.type_name(h)}): {f.metadata['doc']}" for f, h in item_fields)
            )
            for index, item in enumerate(getattr(section, sub.name)):
                out += ["" if index else "", f"[[{key}]]"]
                for item_field, _ in item_fields:
                    spelled = literals.spell(f"{key}[{index}].{item_field.name}", getattr(item, item_field.name))
                    out.append(f"{item_field.name} = {spelled}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Hook files


def own_blocks(hook_file: Path, template: str) -> list[hookfile.Block]:
    """The hook blocks an arch's hook file writes, verbatim, read by the loader's parser."""
    env = templating.make_environment(hook_folder=hook_file.parent)
    return list(hookfile.parse(env, hook_file.read_text(), template, str(hook_file)).blocks.values())


def hook_file_text(base_template: str, blocks: list[hookfile.Block], source_name: str) -> str:
    """A hook file for `base_template` holding `blocks` (the source arch's own overrides) and nothing else."""
    note = (
        f"The hooks of templates/{base_template} that {source_name} overrides, scaffolded by `ptogen new-arch "
        f"--from {source_name}`: its own code, as it has it. Every other hook keeps the base template's default, "
        "which stays shared, so a later fix to a default reaches this arch too. Edit a block to change what this "
        "arch does, delete one to take the default, or add one the base declares ({{ super() }} inside it keeps "
        "the default and adds to it)."
    )
    lines = textwrap.wrap(note, WIDTH - 4)
    out = [f'{{% extends "{base_template}" %}}', f"{{#- {lines[0]}", *[f"    {line}" for line in lines[1:]]]
    out[-1] += " -#}"
    for block in blocks:
        out += ["", block.text]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scaffold:
    folder: Path
    files: list[Path]


def scaffold(name: str, source: str, into: Path | None = None) -> Scaffold:
    """Write templates/arches/<name>/ (or <into>/<name>/) as a copy of arch `source`; returns what was written."""
    if not loader._ARCH_NAME.match(name):
        raise NewArchError(f"{name!r} is not an arch name: lower-case identifiers like 'a6' or 'a2a3'")
    folders = loader.discover()
    if source not in folders:
        raise NewArchError(f"unknown arch {source} (known: {', '.join(sorted(folders)) or 'none'})")
    if into is None and paths.installed():
        raise NewArchError(
            f"this ptogen is installed ({paths.project_root()}), its templates/arches/ is not written to: "
            f"pass --into DIR, then use the arch with --arch-path DIR (or {paths.ARCH_PATH_ENV})"
        )
    parent = Path(into).expanduser().resolve() if into is not None else paths.arches_dir()
    target = parent / name
    if target.exists():
        raise NewArchError(f"{target} already exists; ptogen new-arch never overwrites a folder")
    if name in folders:
        raise NewArchError(f"arch {name} already exists at {folders[name]}; pick another name")

    source_folder = folders[source]
    arch = loader.load_arch(source_folder)
    templates = paths.templates_dir()
    contents: dict[str, str] = {
        loader.CONSTANTS_FILE: constants_text(arch, (source_folder / loader.CONSTANTS_FILE).read_text(), source)
    }
    # Only what the source arch itself writes: a copy of a base default would be a fork the next fix to that
    # default never reaches. A template the source leaves alone gets no hook file.
    for hook in arch.hooks:
        blocks = own_blocks(source_folder / hook.template, hook.template)
        if blocks:
            contents[hook.template] = hook_file_text(hook.template, blocks, source)

    parent.mkdir(parents=True, exist_ok=True)
    # Staged as <parent>/.new-arch-*/<name>/ (the loader takes the arch's name from its folder), checked by
    # the loader, then renamed into place: the folder appears whole and valid, or not at all.
    staging = Path(tempfile.mkdtemp(prefix=".new-arch-", dir=parent))
    try:
        staged = staging / name
        staged.mkdir()
        for filename, text in contents.items():
            (staged / filename).parent.mkdir(parents=True, exist_ok=True)  # a hook file mirrors its base's path
            (staged / filename).write_text(text)
        loader.load_arch(staged, templates)
        staged.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Scaffold(target, [target / filename for filename in contents])
