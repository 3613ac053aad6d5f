"""Discovering arch hook folders and parsing one into a validated `Arch`.

A hook folder holds `arch.toml` (constants, feature flags, strategy choices) and, optionally, one hook file
per base template whose hooks it overrides, at the base's path relative to templates/ (e.g.
`device_runner/finalize.cpp.j2`). Every problem is reported with the file, the line and the key, and
all problems of a folder are reported together so one edit-load cycle fixes them all.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import meta, nodes

from ptogen import paths, templating
from ptogen.arch import hookfile, model

CONSTANTS_FILE = "arch.toml"
_ARCH_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.key}: {self.message}"


class ArchError(Exception):
    """One or more problems in an arch's hook folder."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _suggest(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------------------------------------------
# Line numbers for TOML keys. tomllib gives values, not positions; the layout we accept is plain
# (tables, arrays of tables, `key = value` lines), so a line scan recovers where each key was written.


class _TomlLines:
    _table = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]\s*(#.*)?$")
    _array_table = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]\s*(#.*)?$")
    _key = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")

    def __init__(self, text: str):
        self.lines: dict[str, int] = {}
        array_counts: dict[str, int] = {}
        table = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if match := self._array_table.match(line):
                name = match.group(1)
                index = array_counts.get(name, 0)
                array_counts[name] = index + 1
                table = f"{name}[{index}]"
                self.lines.setdefault(name, number)
                self.lines[table] = number
            elif match := self._table.match(line):
                table = match.group(1)
                self.lines.setdefault(table, number)
            elif match := self._key.match(line):
                key = f"{table}.{match.group(1)}" if table else match.group(1)
                self.lines.setdefault(key, number)

    def line_of(self, key: str) -> int:
        """The line of `key`, else of its closest written parent (where a missing key belongs)."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", key) if re.search(r"[.\[]", key) else ""
        return 1


# ---------------------------------------------------------------------------------------------------
# Building the model from parsed TOML: generic over the dataclasses in `model`, driven by type hints.


_MODEL_NAMESPACE = vars(model)


def type_name(hint: object) -> str:
    if typing.get_origin(hint) is typing.Literal:
        return " | ".join(repr(v) for v in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"array of {type_name(typing.get_args(hint)[0])}"
    if dataclasses.is_dataclass(hint):
        return "table"
    return {int: "integer", bool: "boolean", str: "string"}.get(hint, str(hint))


class _Builder:
    def __init__(self, path: Path, lines: _TomlLines):
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.lines.line_of(key), key, message))

    def value(self, hint: object, raw: object, key: str) -> object:
        """Convert one TOML value to the hinted type, recording a problem (and returning None) if it fails."""
        origin = typing.get_origin(hint)
        if origin is typing.Literal:
            choices = typing.get_args(hint)
            if raw in choices:
                return raw
            suggestion = _suggest(raw, choices) if isinstance(raw, str) else ""
            self.problem(key, f"must be one of {type_name(hint)}, got {raw!r}{suggestion}")
            return None
        if origin is tuple:
            (item_hint, _ellipsis) = typing.get_args(hint)
            if not isinstance(raw, list):
                self.problem(key, f"must be an {type_name(hint)}, got {type(raw).__name__}")
                return None
            items = [self.value(item_hint, item, f"{key}[{i}]") for i, item in enumerate(raw)]
            return None if any(item is None for item in items) else tuple(items)
        if dataclasses.is_dataclass(hint):
            if not isinstance(raw, dict):
                self.problem(key, f"must be a table, got {type(raw).__name__}")
                return None
            return self.dataclass(hint, raw, key)
        # Plain scalars. bool is an int in Python, but `true` is never a valid block count.
        if hint is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if hint is bool and isinstance(raw, bool):
            return raw
        if hint is str and isinstance(raw, str):
            return raw
        self.problem(key, f"must be a {type_name(hint)}, got {type(raw).__name__} {raw!r}")
        return None

    def dataclass(self, cls: type, raw: dict, prefix: str, fixed: dict[str, object] | None = None) -> object:
        """Build `cls` from a TOML table; `fixed` supplies fields that do not come from the file."""
        fixed = fixed or {}
        skip = frozenset(fixed)
        hints = typing.get_type_hints(cls, globalns=_MODEL_NAMESPACE)
        wanted = [f.name for f in dataclasses.fields(cls) if f.name not in skip]
        join = (lambda k: f"{prefix}.{k}") if prefix else (lambda k: k)
        for key in raw:
            if key not in wanted:
                self.problem(join(key), f"unknown key{_suggest(key, wanted)}")
        values: dict[str, object] = dict(fixed)
        complete = True
        for name in wanted:
            if name not in raw:
                self.problem(join(name), f"missing required key ({type_name(hints[name])})")
                complete = False
                continue
            converted = self.value(hints[name], raw[name], join(name))
            complete = complete and converted is not None
            values[name] = converted
        if not complete:
            return None
        try:
            return cls(**values)
        except model.ModelError as error:
            key = error.key if "." in error.key or not prefix else f"{prefix}.{error.key}"
            self.problem(key, error.message)
            return None


# ---------------------------------------------------------------------------------------------------
# Hook files.


def _undeclared_names(ast: nodes.Template, env: jinja2.Environment) -> dict[str, int]:
    """Names a hook file reads that no render defines (neither the context nor Jinja's globals), with the line
    of their first use. StrictUndefined would only say so when the file renders; this says it at load."""
    known = set(templating.CONTEXT) | set(env.globals)
    unknown = meta.find_undeclared_variables(ast) - known
    lines: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.name in unknown and node.ctx == "load":
            lines.setdefault(node.name, node.lineno)
    return lines


def _load_hook_file(path: Path, arch_folder: Path, declared: dict[str, frozenset[str]]) -> tuple[
    model.HookFile | None, list[Problem]
]:
    # A hook file sits at its base template's path, relative to the hook folder as the base is to templates/.
    template = path.relative_to(arch_folder).as_posix()
    if template not in declared:
        return None, [
            Problem(path, 1, template, f"no base template declares hooks for this file{_suggest(template, declared)}")
        ]
    env = templating.make_environment(hook_folder=arch_folder)
    try:
        parsed = hookfile.parse(env, path.read_text(), f"{templating.HOOKS_PREFIX}/{template}", str(path))
    except jinja2.TemplateSyntaxError as error:
        return None, [Problem(path, error.lineno, template, f"template syntax: {error.message}")]

    problems: list[Problem] = []
    body = [
        node
        for node in parsed.ast.body
        if not (
            isinstance(node, nodes.Output)
            and all(isinstance(c, nodes.TemplateData) and not c.data.strip() for c in node.nodes)
        )
    ]
    if not body or not isinstance(body[0], nodes.Extends):
        problems.append(Problem(path, 1, "extends", f'must start with {{% extends "{template}" %}}'))
    else:
        target = body[0].template
        if not (isinstance(target, nodes.Const) and target.value == template):
            problems.append(
                Problem(path, body[0].lineno, "extends", f'must extend "{template}", the base it overrides')
            )
    for node in body[1:]:
        if not isinstance(node, nodes.Block):
            problems.append(
                Problem(path, node.lineno, type(node).__name__.lower(), "only hook blocks may appear outside blocks")
            )
    overridden = templating.block_names(parsed.ast)
    for name, line in overridden.items():
        if name not in declared[template]:
            problems.append(
                Problem(
                    path,
                    line,
                    name,
                    f"{template} declares no hook named {name!r}{_suggest(name, declared[template])}",
                )
            )
    known = [*templating.CONTEXT, *env.globals]
    for name, line in _undeclared_names(parsed.ast, env).items():
        block = parsed.block_at(line)
        problems.append(
            Problem(path, line, block.name if block else name, f"{name!r} is undefined{_suggest(name, known)}")
        )
    if problems:
        return None, problems
    hook = model.HookFile(
        template=template,
        path=f"{templating.HOOKS_PREFIX}/{template}",
        blocks=tuple(sorted(overridden)),
    )
    return hook, []


def _missing_required(folder: Path, hooks: list[model.HookFile], templates: Path | None) -> list[Problem]:
    """A `required` hook has no neutral default: every arch writes its own, or nothing would render."""
    problems: list[Problem] = []
    for template, required in sorted(templating.required_hooks(templates).items()):
        written = next((set(h.blocks) for h in hooks if h.template == template), set())
        for name, line in sorted(required.items()):
            if name not in written:
                problems.append(
                    Problem(
                        folder / template,
                        0,
                        name,
                        f"required hook missing: templates/{template}:{line} declares it with no default, "
                        f"so every arch writes its own {{% block {name} %}} here",
                    )
                )
    return problems


# ---------------------------------------------------------------------------------------------------


def load_arch(folder: Path, templates: Path | None = None) -> model.Arch:
    """Parse one hook folder. The folder's name is the arch's name; nothing inside may repeat it."""
    folder = Path(folder)
    name = folder.name
    constants = folder / CONSTANTS_FILE
    if not _ARCH_NAME.match(name):
        raise ArchError([Problem(folder, 0, "name", "arch names are lower-case identifiers like 'a2a3'")])
    if not constants.is_file():
        raise ArchError([Problem(constants, 0, CONSTANTS_FILE, "missing: every hook folder needs its constants")])

    text = constants.read_text()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise ArchError([Problem(constants, int(match.group(1)) if match else 0, "toml", str(error))]) from None

    builder = _Builder(constants, _TomlLines(text))
    arch = builder.dataclass(model.Arch, raw, "", fixed={"name": name, "hooks": ()})

    declared = templating.declared_hooks(templates)
    hooks: list[model.HookFile] = []
    problems = list(builder.problems)
    for path in sorted(folder.rglob("*.j2")):
        hook, hook_problems = _load_hook_file(path, folder, declared)
        problems.extend(hook_problems)
        if hook is not None:
            hooks.append(hook)
    if not any(p.path.suffix == ".j2" for p in problems):  # a hook file that did not load hides what it writes
        problems.extend(_missing_required(folder, hooks, templates))
    if problems or arch is None:
        raise ArchError(problems)
    return dataclasses.replace(arch, hooks=tuple(hooks))


def arch_search_path() -> list[Path]:
    return paths.arch_search_path()


def discover(search_path: typing.Sequence[Path] | None = None) -> dict[str, Path]:
    """Arch name -> hook folder, found by scanning each directory of the search path for folders holding an
    arch.toml (a directory that is itself a hook folder counts as one arch). The first of a name wins, so a
    repo arch cannot be shadowed from outside."""
    found: dict[str, Path] = {}
    for root in search_path if search_path is not None else arch_search_path():
        root = Path(root)
        if not root.is_dir():
            continue
        candidates = [root] if (root / CONSTANTS_FILE).is_file() else sorted(root.iterdir())
        for candidate in candidates:
            if (candidate / CONSTANTS_FILE).is_file() and candidate.name not in found:
                found[candidate.name] = candidate
    return found


class Arches(typing.Mapping[str, model.Arch]):
    """Every arch found on the search path, each usable on its own: an invalid hook folder makes only its arch
    unusable. Iterating yields the arches that loaded; `name in arches` is true for every arch found, and
    `arches[name]` of one that did not load raises its ArchError, so a command naming it reports its
    problems while commands about other arches never see them. `broken` holds those errors by name."""

    def __init__(self, loaded: dict[str, model.Arch], broken: dict[str, ArchError]):
        self._loaded = loaded
        self.broken = broken

    def __getitem__(self, name: str) -> model.Arch:
        if name in self.broken:
            raise self.broken[name]
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self.broken

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._loaded)

    def __len__(self) -> int:
        return len(self._loaded)


def load_all(search_path: typing.Sequence[Path] | None = None) -> Arches:
    loaded: dict[str, model.Arch] = {}
    broken: dict[str, ArchError] = {}
    for name, folder in discover(search_path).items():
        try:
            loaded[name] = load_arch(folder)
        except ArchError as error:
            broken[name] = error
    return Arches(loaded, broken)


__all__ = ["ArchError", "Arches", "Problem", "arch_search_path", "discover", "load_all", "load_arch"]
