"""The owner placeholder, in one place: README, examples, docs and workflows name the action `OWNER/evalcore@v0`
(the composite `OWNER/evalcore/composite@v0`) and its image `ghcr.io/owner/evalcore` (registry names are lower case).
A fork or the first real release sets the owner everywhere with `python -m release.owner NAME`, which rewrites those
references and the constant below; tests/release/test_owner_placeholder.py fails on any other spelling."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

OWNER = "OWNER"

NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")  # a GitHub user or organisation name


def documents(root: Path) -> list[Path]:
    """The files that refer to the action or its image by owner."""
    return sorted(
        [p for p in (root / "README.md", root / "CONTRIBUTING.md", root / "action.yml") if p.exists()]
        + [p for p in (root / "composite/action.yml",) if p.exists()]
        + list((root / "examples").rglob("*.yml"))
        + list((root / "examples").rglob("*.md"))
        + list((root / "docs").glob("*.md"))
        + list((root / ".github/workflows").glob("*.yml"))
    )


def rewrite(text: str, old: str, new: str) -> str:
    text = re.sub(rf"(?<![\w.-]){re.escape(old)}/evalcore(?=[/@])", f"{new}/evalcore", text)
    return text.replace(f"ghcr.io/{old.lower()}/evalcore", f"ghcr.io/{new.lower()}/evalcore")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.owner", description="Set the action's owner everywhere.")
    parser.add_argument("owner", help="the GitHub user or organisation that publishes evalcore")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="the repository")
    args = parser.parse_args(argv)
    if not NAME.fullmatch(args.owner):
        print(f"release.owner: {args.owner!r} is not a GitHub user or organisation name", file=sys.stderr)
        return 2
    for path in documents(args.root):
        text = path.read_text(encoding="utf-8")
        if (new := rewrite(text, OWNER, args.owner)) != text:
            path.write_text(new, encoding="utf-8")
    this = args.root / "release/owner.py"
    this.write_text(
        this.read_text(encoding="utf-8").replace(f'\nOWNER = "{OWNER}"\n', f'\nOWNER = "{args.owner}"\n', 1),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
