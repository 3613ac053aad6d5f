"""What a build already knows is fresh, so that a build with nothing to do does nothing: each arch's
generated folder, and each program's ELF checks. Both are remembered under build/ with the size and time
of every file the answer depends on; when one of them moved, the work is done again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ptogen import generate, layout, paths
from ptogen.arch import Arch


def _generation_files(name: str, folder: Path) -> dict[str, list[int]]:
    """Every file generating one arch reads or writes (the templates, its hook folder, the generator's code,
    its generated folder) with its size and time."""
    package = Path(__file__).resolve().parent
    out = paths.arch_generated_dir(name, folder)
    files = [*paths.templates_dir().rglob("*"), *Path(folder).rglob("*"), *package.glob("*.py")]
    files += [*(package / "arch").glob("*.py"), *(out.iterdir() if out.is_dir() else ())]
    found: dict[str, list[int]] = {}
    for path in sorted(set(files)):
        if path.is_file():
            stat = path.stat()
            found[str(path)] = [stat.st_size, stat.st_mtime_ns]
    return found


def regenerate(selected: dict[str, Arch], root: Path) -> list[Path]:
    """Bring each arch's generated folder up to date before it is built; returns the files rewritten.

    An arch none of whose generation files changed since a build last found it fresh is still fresh: the
    templates are rendered again only when something they depend on moved (build/ remembers what)."""
    from ptogen.arch.loader import discover

    record = layout.generation_record(root)
    try:
        fresh_as: dict[str, Any] = json.loads(record.read_text())
    except (OSError, ValueError):
        fresh_as = {}
    folders = discover()
    files = {name: _generation_files(name, folders[name]) for name in selected}
    unsure = {name: arch for name, arch in selected.items() if fresh_as.get(name) != files[name]}
    if not unsure:
        return []
    rewritten = []
    if not all(status.state == "fresh" for status in generate.compare(unsure)):
        rewritten = [status.path for status in generate.write(unsure)]
    fresh_as.update({name: _generation_files(name, folders[name]) for name in unsure})
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(fresh_as, indent=0, sort_keys=True) + "\n")
    return rewritten


def _stamp(path: Path, platform: str, chosen: Sequence[str], root: Path) -> list[Any]:
    """What a check's verdict depends on: the file (size, time) and what it is checked against (the platform,
    the sanitizers, the C ABI and CANN API headers the expectations are read from)."""
    from ptogen import c_abi

    headers = [c_abi.c_abi_header(root), c_abi.cann_api_header(root)]
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, platform, list(chosen), *(h.stat().st_mtime_ns for h in headers)]


def check_programs(programs: list[tuple[str, Path]], platform: str, root: Path, chosen: Sequence[str]) -> list[Any]:
    """ELF-check every program not already checked as it is now (a no-op build rechecks nothing); returns the
    findings (ptogen.elfcheck.Finding) of the programs that fail."""
    record = layout.elf_checks(root)
    try:
        passed = json.loads(record.read_text())
    except (OSError, ValueError):
        passed = {}
    stamps = {str(path): _stamp(path, platform, chosen, root) for _, path in programs}
    unchecked = [(role, path) for role, path in programs if passed.get(str(path)) != stamps[str(path)]]
    if not unchecked:
        return []
    from ptogen import elfcheck  # pyelftools: imported only when there is something to check

    findings = elfcheck.check_programs(unchecked, platform, root, sanitizers=chosen)
    failed = {str(finding.path) for finding in findings}
    passed.update({name: stamp for name, stamp in stamps.items() if name not in failed})
    for name in failed:
        passed.pop(name, None)
    record.write_text(json.dumps(passed, indent=0, sort_keys=True) + "\n")
    return findings
