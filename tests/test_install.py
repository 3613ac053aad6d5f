"""A non-editable install: the wheel carries the project's trees, and the installed ptogen lists, checks,
builds, runs and tests from any directory without writing into site-packages or the checkout.

One wheel, one fresh venv and one cold build of one runtime variant for the module (tens of seconds on two
CPUs). The venv reuses this interpreter's packages (--system-site-packages: numpy, jinja2, SCons offline), so
each test checks that the ptogen which runs is the installed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ptogen import __version__, layout, paths

ROOT = paths.project_root()
RUNTIME = "host_build_graph"
# What the wheel must carry under ptogen/_data/, as in the checkout (setup.py's TREES).
TREES = ("SConstruct", "site_scons", "templates", "runtimes", "examples", "generated")
# Not the project's: what a checkout accumulates, never copied into the wheel's source.
NOT_SOURCE = shutil.ignore_patterns(".git", "build", "dist", "outputs", "*.egg-info", "__pycache__", ".*_cache")

pytestmark = pytest.mark.skipif(not layout.is_checkout(ROOT), reason="builds a wheel from a checkout")


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """Every file under folder with its size and time (a file written, added or removed shows)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                stat = path.stat()
                found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return found


class Installed:
    def __init__(self, base: Path):
        self.base = base
        self.venv = base / "venv"
        self.python = self.venv / "bin" / "python"
        self.ptogen = self.venv / "bin" / "ptogen"
        self.cwd = base / "empty"
        self.cwd.mkdir()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "VIRTUAL_ENV", "SCONSFLAGS") and not key.startswith("PTOGEN_")
        }
        self.env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["XDG_CACHE_HOME"] = str(base / "cache")

    @property
    def site_packages(self) -> Path:
        return Path(self.run_python("import sysconfig; print(sysconfig.get_path('purelib'))"))

    def run_python(self, code: str) -> str:
        done = subprocess.run([self.python, "-c", code], cwd=self.cwd, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def __call__(self, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.ptogen, *arguments], cwd=cwd or self.cwd, env=self.env, capture_output=True, text=True
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)  # setuptools writes build/ beside its input
    wheels = base / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
        capture_output=True, text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("ptogen-*.whl")
    here = Installed(base)
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(here.venv)
    pip = subprocess.run(
        [here.python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        env=here.env, capture_output=True, text=True,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return here


def test_the_wheel_carries_the_trees_under_the_package(installed):
    data = installed.site_packages / "ptogen" / "_data"
    for tree in TREES:
        assert (data / tree).exists(), f"the wheel has no ptogen/_data/{tree}"
    for tree in ("templates/arches/a2a3/arch.toml", "generated/a2a3/arch.json", "site_scons/ptobuild/manifest.py"):
        assert (data / tree).is_file(), tree
    origin = installed.run_python("import ptogen, ptogen.paths as p; print(ptogen.__file__); print(p.project_root())")
    package, root = origin.split()
    assert Path(package).is_relative_to(installed.venv), f"the checkout's ptogen ran: {package}"
    assert Path(root) == data.resolve()


def test_an_installed_ptogen_works_from_an_empty_directory(installed):
    site = installed.site_packages
    before_site, before_checkout = snapshot(site), snapshot(ROOT, skip=(".git", ".pytest_cache"))

    version = installed("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"ptogen {__version__}", version.stderr
    listed = installed("list")
    assert listed.returncode == 0, listed.stderr
    assert {line.split()[0] for line in listed.stdout.splitlines() if line.strip()} >= {"a2a3", "a5"}, listed.stdout
    check = installed("generate", "--check")
    assert check.returncode == 0 and check.stdout.strip() == "generated/ is fresh for a2a3, a5", check.stdout
    run = installed("run", "vector_example", "--arch", "a2a3", "--runtime", RUNTIME)
    assert run.returncode == 0 and "golden: all 1 round(s) match" in run.stdout, run.stdout + run.stderr
    suite = installed("test", "--arch", "a2a3", "--runtime", RUNTIME)
    assert suite.returncode == 0, suite.stdout + suite.stderr

    assert snapshot(site) == before_site, "the installed ptogen wrote into site-packages"
    assert snapshot(ROOT, skip=(".git", ".pytest_cache")) == before_checkout, "it wrote into the checkout"
    # The one thing written where the user works: the scenes' programs, in the default scene build folder.
    written = sorted(p.relative_to(installed.cwd).as_posix() for p in installed.cwd.rglob("*") if p.is_dir())
    assert written[:2] == ["build", layout.DEFAULT_SCENE_BUILD.as_posix()], written
    assert not [p for p in installed.cwd.iterdir() if p.name != "build"], "it wrote elsewhere in the directory"
    built = Path(installed.run_python("from ptogen import build; print(build.build_dir())"))
    assert built.is_relative_to((installed.base / "cache" / "ptogen").resolve()), built
    assert (built / "manifest.json").is_file() and (built / "a2a3" / "sim" / RUNTIME / layout.HOST).is_file()


def test_generating_a_shipped_arch_is_refused(installed):
    site = installed.site_packages
    before = snapshot(site)
    refused = installed("generate", "--arch", "a2a3")
    assert refused.returncode == 1
    assert "a2a3: shipped generated with this install" in refused.stderr and "never rewritten" in refused.stderr
    scaffold = installed("new-arch", "a6", "--from", "a5")
    assert scaffold.returncode == 1 and "pass --into DIR" in scaffold.stderr, scaffold.stderr
    assert snapshot(site) == before


def test_an_install_used_from_a_checkout_says_which_tree_it_builds(installed):
    built = installed("build", "--arch", "a2a3", "--runtime", RUNTIME, cwd=ROOT / "runtimes")
    assert built.returncode == 0, built.stderr
    data = (installed.site_packages / "ptogen" / "_data").resolve()
    notice = [line for line in built.stderr.splitlines() if line.startswith("ptogen: building ")]
    assert notice == [
        f"ptogen: building {data} (this ptogen's tree), not the checkout at {ROOT}; to build that one, install "
        f"it (pip install -e {ROOT}) or set PTOGEN_ROOT={ROOT}"
    ], built.stderr


# ---- where the tree and the build folder are (no install needed) -------------------------------------------


def test_a_checkout_builds_into_its_build_folder(monkeypatch):
    monkeypatch.delenv(layout.BUILD_DIR_ENV, raising=False)
    assert layout.build_dir(ROOT) == ROOT / "build"
    monkeypatch.setenv(layout.BUILD_DIR_ENV, "/somewhere/else")
    assert layout.build_dir(ROOT) == Path("/somewhere/else")
    assert layout.manifest(ROOT) == Path("/somewhere/else/manifest.json")


def test_an_installed_tree_builds_into_the_users_cache_one_folder_per_install(tmp_path, monkeypatch):
    tree, other = tmp_path / "site-a" / "_data", tmp_path / "site-b" / "_data"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(layout.BUILD_DIR_ENV, raising=False)
    monkeypatch.setattr(layout, "INSTALLED_TREE", tree.resolve())
    built = layout.build_dir(tree)
    assert built.parent.parent == (tmp_path / "cache" / "ptogen").resolve() and built.name == "build"
    assert built.parent.name.startswith(f"{__version__}-")
    monkeypatch.setattr(layout, "INSTALLED_TREE", other.resolve())
    assert layout.build_dir(other) != built
    monkeypatch.setenv(layout.BUILD_DIR_ENV, str(tmp_path / "mine"))
    assert layout.build_dir(other) == (tmp_path / "mine").resolve()


def test_another_checkout_under_the_current_directory_is_named(tmp_path):
    other = tmp_path / "second"
    for folder in ("ptogen", "templates/arches", "deep/inside"):
        (other / folder).mkdir(parents=True)
    (other / "SConstruct").write_text("")
    (other / "ptogen" / "layout.py").write_text("")
    assert paths.other_checkout(other / "deep" / "inside") == other.resolve()
    assert paths.other_checkout(ROOT / "runtimes") is None  # the tree this ptogen works on
    assert paths.other_checkout(tmp_path) is None
