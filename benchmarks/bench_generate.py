"""How long generating every arch takes: load and validate each hook folder, render every file.

Run: python benchmarks/bench_generate.py [--repeat N]. Prints measured times only; the target is < 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from ptogen import generate, templating  # noqa: E402
from ptogen.arch.loader import discover, load_arch  # noqa: E402

TARGET_S = 0.5


def generate_all() -> int:
    files = 0
    for folder in discover().values():
        files += len(generate.render_arch(load_arch(folder), folder))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    # The first run pays for importing and compiling the templates, as a fresh `ptogen generate` does.
    start = time.perf_counter()
    files = generate_all()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(args.repeat):
        templating._base_info_cached.cache_clear()
        start = time.perf_counter()
        generate_all()
        warm.append(time.perf_counter() - start)

    # The whole command as a user runs it, interpreter start-up included.
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ptogen", "generate", "--check"], check=True, capture_output=True)
    command = time.perf_counter() - start

    print(f"machine: {describe()}")
    print(f"arches: {', '.join(sorted(discover()))}; {files} files per generation")
    print(f"{'what':<34}{'measured':>12}{'target':>10}")
    print(f"{'generate all arches, first run':<34}{cold * 1e3:>10.1f} ms{TARGET_S * 1e3:>7.0f} ms")
    print(f"{'generate all arches, median of ' + str(args.repeat):<34}{statistics.median(warm) * 1e3:>10.1f} ms"
          f"{TARGET_S * 1e3:>7.0f} ms")
    print(f"{'`ptogen generate --check`, whole':<34}{command * 1e3:>10.1f} ms{'-':>10}")


if __name__ == "__main__":
    main()
