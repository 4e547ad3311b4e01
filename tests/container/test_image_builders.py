"""The Dockerfile builds with the classic builder (Docker 20.10, DOCKER_BUILDKIT=0, act) and with BuildKit, into the
same image: the same files (path, type, size, mode, owner, link target), the same installed distributions, the same
configuration, within the same size budget."""

from __future__ import annotations

import json

from tests.container.conftest import BASE_IMAGE, docker
from tests.container.test_image import SIZE_BUDGET

# Every path of the image's own filesystem (-xdev: not /proc, /sys, /dev), with what a builder could change; the
# size of a directory depends on how its entries were written, so directories go without it.
LIST_FILES = (
    "find / -xdev \\( -type d -printf '%p %y %m %U:%G\\n' \\) -o -printf '%p %y %s %m %U:%G %l\\n' | LC_ALL=C sort"
)
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m; print('\\n'.join(sorted(f'{d.name}=={d.version}' for d in m.distributions())))"
)
CONFIG = "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.Env}} {{.Config.WorkingDir}} {{.Config.User}}"


def _run(image: str, entrypoint: str, *args: str) -> str:
    result = docker("run", "--rm", "--network", "none", "--entrypoint", entrypoint, image, *args, timeout=120)
    assert result.returncode == 0, f"{image}: {result.stderr[-2000:]}"
    return result.stdout


def _size(tag: str) -> int:
    inspect = docker("image", "inspect", tag, "--format", "{{.Size}}")
    assert inspect.returncode == 0, f"{tag}: {inspect.stderr} (EVALCORE_BASE_IMAGE names the base)"
    return int(inspect.stdout)


def test_the_classic_builder_and_buildkit_install_the_same_distributions(image: str, classic_image: str) -> None:
    buildkit = _run(image, "python", "-c", LIST_DISTRIBUTIONS).split()
    classic = _run(classic_image, "python", "-c", LIST_DISTRIBUTIONS).split()

    assert any(name.startswith("evalcore==") for name in buildkit)
    assert classic == buildkit


def test_the_classic_builder_and_buildkit_make_the_same_files(image: str, classic_image: str) -> None:
    buildkit = _run(image, "sh", "-c", LIST_FILES).splitlines()
    classic = _run(classic_image, "sh", "-c", LIST_FILES).splitlines()

    only_buildkit, only_classic = sorted(set(buildkit) - set(classic)), sorted(set(classic) - set(buildkit))
    assert len(buildkit) > 1000
    assert (only_buildkit[:10], only_classic[:10]) == ([], [])


def test_the_classic_builder_and_buildkit_configure_the_image_alike(image: str, classic_image: str) -> None:
    configs = [docker("image", "inspect", tag, "--format", CONFIG).stdout.strip() for tag in (image, classic_image)]

    entrypoint = json.loads(configs[0].split(" ", 1)[0])
    assert entrypoint == ["python", "-m", "entrypoint"]
    assert configs[1] == configs[0]


def test_the_classic_build_adds_at_most_80_mb_over_its_base(classic_image: str) -> None:
    added = _size(classic_image) - _size(BASE_IMAGE)

    assert 0 < added <= SIZE_BUDGET, f"{added / 1e6:.1f} MB added over {BASE_IMAGE}"
