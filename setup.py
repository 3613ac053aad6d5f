"""Packaging beyond pyproject.toml: a wheel carries the project's trees — the SConstruct and site_scons/,
templates/, runtimes/, examples/ and the committed generated/ — under ptogen/_data/, laid out as in a checkout,
so an installed ptogen builds and runs from any directory (ptogen/layout.py's INSTALLED_TREE finds them). An
editable install gets none: it reads its checkout. An sdist carries the trees through MANIFEST.in."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TREES = ("SConstruct", "site_scons", "templates", "runtimes", "examples", "generated")
# What a checkout may hold in those trees that is not the project's: bytecode, editor and build leftovers.
LEFTOVERS = shutil.ignore_patterns("__pycache__", "*.pyc", "*.o", "*.so", ".sconsign*", "*~", ".*.swp")


class BuildPyWithTrees(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        here = Path(__file__).resolve().parent
        into = Path(self.build_lib) / "ptogen" / "_data"
        for name in TREES:
            source, target = here / name, into / name
            if not source.exists():
                raise SystemExit(f"setup.py: {source} is missing; a wheel carries it (see TREES)")
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            if source.is_dir():
                shutil.copytree(source, target, ignore=LEFTOVERS)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildPyWithTrees})
