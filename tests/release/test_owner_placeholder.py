"""The owner placeholder: `release/owner.py` holds it; README, examples, docs and workflows spell every reference to
the action and its image with it (`OWNER/evalcore@v0`, `ghcr.io/owner/evalcore`), and `python -m release.owner NAME`
rewrites them all."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VERSION = re.search(r'__version__ = "(.+)"', (REPO / "evalcore/__init__.py").read_text())[1]  # type: ignore[index]
MAJOR = "v" + VERSION.split(".")[0]
OWNER = re.search(r'^OWNER = "(.+)"$', (REPO / "release/owner.py").read_text(), re.M)[1]  # type: ignore[index]
ACTION_REF = re.compile(r"uses: ([\w.-]+)/evalcore((?:/composite)?)@([\w.-]+)")
IMAGE_REF = re.compile(r"ghcr\.io/([\w.${}-]+)/evalcore")


def documents(root: Path) -> list[Path]:
    return sorted(
        [
            root / "README.md",
            root / "CONTRIBUTING.md",
            root / "action.yml",
            root / "composite/action.yml",
            *(root / "examples").rglob("*.yml"),
            *(root / "examples").rglob("*.md"),
            *(root / "docs").glob("*.md"),
            *(root / ".github/workflows").glob("*.yml"),
        ]
    )


def references(root: Path) -> list[tuple[str, str]]:
    found = []
    for path in documents(root):
        text = path.read_text(encoding="utf-8")
        found += [(str(path.relative_to(root)), f"{m[1]}/evalcore{m[2]}@{m[3]}") for m in ACTION_REF.finditer(text)]
        found += [(str(path.relative_to(root)), f"ghcr.io/{m[1]}/evalcore") for m in IMAGE_REF.finditer(text)]
    return found


def test_every_reference_to_the_action_and_image_spells_the_owner_placeholder_alike() -> None:
    found = references(REPO)
    allowed = {
        f"{OWNER}/evalcore@{MAJOR}",
        f"{OWNER}/evalcore/composite@{MAJOR}",
        f"ghcr.io/{OWNER.lower()}/evalcore",
        "ghcr.io/${OWNER,,}/evalcore",  # release.yml: the repository's owner, lower-cased by bash
    }

    assert len(found) > 5
    assert [(path, ref) for path, ref in found if ref not in allowed] == []


def test_owner_script_rewrites_every_reference(tmp_path: Path) -> None:
    for path in [*documents(REPO), REPO / "release/owner.py"]:
        target = tmp_path / path.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)

    result = subprocess.run(
        [sys.executable, "-m", "release.owner", "--root", str(tmp_path), "Acme-Labs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    refs = {ref for _, ref in references(tmp_path)}
    assert f"Acme-Labs/evalcore@{MAJOR}" in refs and "ghcr.io/acme-labs/evalcore" in refs
    assert not [ref for ref in refs if ref.startswith((f"{OWNER}/", f"ghcr.io/{OWNER.lower()}/"))]
    assert 'OWNER = "Acme-Labs"' in (tmp_path / "release/owner.py").read_text()
