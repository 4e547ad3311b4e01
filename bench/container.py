"""The image's size and start-up time: what the layers add over the base image, and how long
`docker run IMAGE --version` takes, split into the container's own overhead (the base image running `python -c pass`)
and the process inside (`python -m entrypoint --version` timed within one container).

    python bench/container.py [--image evalcore:ci] [--base local/python:3-bookworm] [--runs 7]

Prints the figures and writes bench/out/container.json. Needs a Docker daemon and both images.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "container.json"
INNER = """
import subprocess, sys, time
times = []
for _ in range({runs}):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "entrypoint", "--version"], check=True, capture_output=True)
    times.append(time.perf_counter() - start)
print(" ".join(f"{{t:.4f}}" for t in times))
"""


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=300).stdout


def _size(tag: str) -> int:
    return int(_docker("image", "inspect", tag, "--format", "{{.Size}}"))


def _wall(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _docker(*args)
        times.append(time.perf_counter() - start)
    return times


def _stats(times: list[float]) -> dict[str, float]:
    return {"min_s": min(times), "median_s": statistics.median(times), "max_s": max(times), "runs": len(times)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=os.environ.get("EVALCORE_IMAGE", "evalcore:ci"))
    parser.add_argument("--base", default=os.environ.get("EVALCORE_BASE_IMAGE", "local/python:3-bookworm"))
    parser.add_argument("--runs", type=int, default=7)
    ns = parser.parse_args(argv)

    added = _size(ns.image) - _size(ns.base)
    version = _wall(["run", "--rm", "--network", "none", ns.image, "--version"], ns.runs)
    bare = _wall(["run", "--rm", "--network", "none", "--entrypoint", "python", ns.base, "-c", "pass"], ns.runs)
    inner_out = _docker(
        "run", "--rm", "--network", "none", "--entrypoint", "python", ns.image, "-c", INNER.format(runs=ns.runs)
    )
    inner = [float(t) for t in inner_out.split()]
    report = {
        "image": ns.image,
        "base": ns.base,
        "added_bytes": added,
        "added_mb": round(added / 1e6, 1),
        "docker_run_version": _stats(version),
        "docker_run_bare_python": _stats(bare),
        "version_inside_container": _stats(inner),
        "load_average": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"image {ns.image}: {report['added_mb']} MB over {ns.base} (budget 80 MB)")
    print(
        f"docker run IMAGE --version: median {report['docker_run_version']['median_s']:.2f} s "
        f"(min {report['docker_run_version']['min_s']:.2f}, max {report['docker_run_version']['max_s']:.2f}; "
        f"{ns.runs} runs, load average {report['load_average']:.1f} on {report['cpus']} CPUs)"
    )
    print(f"  of which container start and stop (base, python -c pass): median {statistics.median(bare):.2f} s")
    print(f"  of which the process (python -m entrypoint --version, inside): median {statistics.median(inner):.3f} s")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
