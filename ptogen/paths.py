"""Where the project's trees live.

ptogen works on a checkout: it reads `templates/` and `runtimes/` and writes `generated/` and `build/`.
The root is the directory above the package unless PTOGEN_ROOT names another checkout.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    override = os.environ.get("PTOGEN_ROOT")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    return project_root() / "templates"


def arches_dir() -> Path:
    return templates_dir() / "arches"


def generated_dir() -> Path:
    return project_root() / "generated"


def runtimes_dir() -> Path:
    return project_root() / "runtimes"
