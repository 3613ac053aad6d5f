"""ptosim's kernel directories (ptosim_dev<N>_pid<P>_*) never outlive their process for long: an exit
removes its own, and the next process to make one removes those of processes that died without exiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ptogen import build

RUN_ONE_SCENE = """
import sys
from ptogen.harness.runner import build_scene, run_scene
from ptogen.harness.scene import find_scene
from ptogen.harness.worker import Worker

scene = find_scene("vector_example", "host_build_graph")
with Worker("a2a3", "host_build_graph", device_id=int(sys.argv[1]), build=False) as worker:
    run_scene(worker, scene, build_scene(scene, "a2a3"))
    print("ran", flush=True)
    if sys.argv[2] == "wait":
        sys.stdin.read()  # until killed
"""


def kernel_dirs(tmp: Path) -> list[str]:
    return sorted(path.name for path in tmp.iterdir() if path.name.startswith("ptosim_dev"))


def test_a_killed_process_leaves_nothing_after_the_next_start(tmp_path: Path):
    build.build(["a2a3"], ["host_build_graph"], scenes=["vector_example"], echo=None)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    victim = subprocess.Popen([sys.executable, "-c", RUN_ONE_SCENE, "2", "wait"], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "ran"
        left = kernel_dirs(tmp_path)
        assert left and all(f"_pid{victim.pid}_" in name for name in left), left
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    assert kernel_dirs(tmp_path) == left  # a killed process runs no exit handler: its folders stay

    survivor = subprocess.run([sys.executable, "-c", RUN_ONE_SCENE, "3", "exit"], env=env, capture_output=True,
                              text=True)
    assert survivor.returncode == 0, survivor.stderr
    assert kernel_dirs(tmp_path) == []  # the dead one's swept at start, its own removed at exit
