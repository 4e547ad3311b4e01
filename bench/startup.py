"""Start-up cost of each variant of the Action, as far as this machine can measure it:

- composite: `pip install evalcore[emulator]` from a freshly built wheel into a fresh virtual environment, once with
  pip's cache cold (`--no-cache-dir`: what a runner without actions/cache pays) and once warm (the download cache
  filled by the first run), and `python -m entrypoint --version` from that environment;
- Docker, built from the Dockerfile (what `image: Dockerfile` costs every job): `docker build --no-cache`, when a
  Docker daemon answers (`.ci/docker.sh start` gives one), on EVALCORE_BASE_IMAGE;
- Docker, prebuilt (what a release's `image: docker://...@sha256:` costs): a pull from ghcr.io, which needs the
  registry and a pushed image: not measured here, said so.

    python bench/startup.py [--skip-docker]

Prints the figures and writes bench/out/startup.json. Wheels and dependencies come from pip's configured index.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "startup.json"


def _timed(command: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def composite(work: Path) -> dict[str, float]:
    dist = work / "dist"
    build = _timed([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)])
    wheel = next(dist.glob("evalcore-*.whl"))
    figures = {"build_wheel_s": build}
    cache = work / "pip-cache"
    for label, cache_args in (("cold", ["--no-cache-dir"]), ("warm", ["--cache-dir", str(cache)])):
        if label == "warm":  # fill the cache first, untimed
            _install(work / "fill", wheel, ["--cache-dir", str(cache)])
        venv = work / label
        figures[f"install_{label}_s"] = _install(venv, wheel, cache_args)
    figures["version_s"] = _timed([str(_python(work / "warm")), "-m", "entrypoint", "--version"])
    return figures


def _install(venv: Path, wheel: Path, cache_args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    subprocess.run(
        [str(_python(venv)), "-m", "pip", "install", "-q", "--disable-pip-version-check", *cache_args,
         f"{wheel}[emulator]"],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def docker_build() -> dict[str, float | str]:
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return {"docker_build_no_cache": "not measured: no Docker daemon answers (.ci/docker.sh start gives one)"}
    base = os.environ.get("EVALCORE_BASE_IMAGE", "local/python:3-bookworm")
    seconds = _timed(
        ["docker", "build", "--no-cache", "--network", "host", "--build-arg", f"BASE_IMAGE={base}",
         "-t", "evalcore:startup-bench", str(REPO)],
        timeout=1800,
    )  # fmt: skip
    subprocess.run(["docker", "rmi", "evalcore:startup-bench"], capture_output=True)
    return {"docker_build_no_cache_s": seconds, "base_image": base}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-docker", action="store_true", help="measure the composite's install only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evalcore-startup-") as tmp:
        figures: dict[str, object] = {"composite": composite(Path(tmp))}
    figures["docker"] = {"skipped": True} if args.skip_docker else docker_build()
    figures["docker_pull"] = "not measured here: needs ghcr.io and a pushed image"
    figures["load_average"] = os.getloadavg()[0]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
