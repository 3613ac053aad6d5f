"""Where the project's trees live.

ptogen works on a project tree: it reads `templates/` and `runtimes/` and writes `generated/` and `build/`.
The tree is the checkout PTOGEN_ROOT names; else the one an installed wheel carries (ptogen/_data/, whose
shipped generated/ is used as it is and whose build folder is in the user's cache: ptogen.layout); else the
checkout the package sits in (a source checkout or an editable install).

Arches are found on a search path: `templates/arches/` first, then the directories PTOGEN_ARCH_PATH names
(os.pathsep-separated), so an arch's hook folder can live outside the checkout. Where an arch's C++ is
generated follows from where its hook folder is: a repo arch's into `generated/<arch>/` (committed, so
reviewers see the diff), any other arch's into `build/generated/<arch>/` (never committed: the checkout
stays clean however many private arches are built from it).
"""

from __future__ import annotations

import os
from pathlib import Path

from ptogen import layout

ROOT_ENV = "PTOGEN_ROOT"


def project_root() -> Path:
    override = os.environ.get(ROOT_ENV)
    if override:
        return Path(override).resolve()
    return layout.installed_tree() or Path(__file__).resolve().parent.parent


def installed() -> bool:
    """Whether ptogen works on an installed tree: its generated/ is shipped and never rewritten."""
    return layout.is_installed(project_root())


def other_checkout(cwd: Path | None = None) -> Path | None:
    """The ptogen checkout the current directory is in, when it is not the tree this ptogen works on (an
    install used from a second checkout builds its own tree, not that one)."""
    here = Path(cwd or Path.cwd()).resolve()
    root = project_root()
    for folder in (here, *here.parents):
        if layout.is_checkout(folder):
            return None if folder == root else folder
    return None


def templates_dir() -> Path:
    return project_root() / "templates"


def arches_dir() -> Path:
    return templates_dir() / "arches"


def generated_dir() -> Path:
    return project_root() / "generated"


def external_generated_dir() -> Path:
    """Where arches from outside templates/arches/ are generated: under build/, which is not committed."""
    return layout.generated_roots(project_root())[1]


ARCH_PATH_ENV = "PTOGEN_ARCH_PATH"


def arch_search_path() -> list[Path]:
    """templates/arches/, then every directory PTOGEN_ARCH_PATH names, in order; the first arch of a name wins."""
    entries = [entry for entry in os.environ.get(ARCH_PATH_ENV, "").split(os.pathsep) if entry.strip()]
    return [arches_dir(), *[Path(entry).expanduser().resolve() for entry in entries]]


def add_arch_path(directories: list[Path] | list[str]) -> None:
    """Put directories on the search path of this process and every process it starts (SCons, the harness)."""
    current = [entry for entry in os.environ.get(ARCH_PATH_ENV, "").split(os.pathsep) if entry]
    added = [str(Path(d).expanduser().resolve()) for d in directories]
    os.environ[ARCH_PATH_ENV] = os.pathsep.join([*added, *[c for c in current if c not in added]])


def is_repo_arch(folder: Path) -> bool:
    return Path(folder).resolve().parent == arches_dir().resolve()


def arch_generated_dir(name: str, folder: Path) -> Path:
    """generated/<name>/ for an arch of templates/arches/, build/generated/<name>/ for one found elsewhere."""
    return (generated_dir() if is_repo_arch(folder) else external_generated_dir()) / name


def runtimes_dir() -> Path:
    return project_root() / "runtimes"


def display(path: Path) -> str:
    """A path as a user reads it in messages: relative to the checkout when inside it (ptogen.layout.display)."""
    return layout.display(project_root(), path)
