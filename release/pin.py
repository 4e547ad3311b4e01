"""`python -m release.pin --tag v1.2.3 --image ghcr.io/owner/evalcore --digest sha256:...`: the release commit's
edits, made by .github/workflows/release.yml after the image is pushed and the package is on PyPI.

- action.yml's `image: Dockerfile` becomes `image: docker://IMAGE@DIGEST`: a step pulls the released image, and a
  user who pins the action by commit SHA pins the image too.
- composite/action.yml's `EVALCORE_PACKAGE:` line (the action's own source on the default branch) becomes
  `evalcore[emulator]==X.Y.Z`: the composite installs exactly the released package from PyPI.

It checks everything before writing anything: a malformed tag, image or digest, a tag that is not evalcore's
version, or a file not in its development form stops it with one line and exit code 2. Standard library only: the
workflow runs it with the runner's python3.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TAG = re.compile(r"v(\d+\.\d+\.\d+)")
IMAGE = re.compile(r"ghcr\.io/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?/evalcore")  # ghcr.io names are lower case
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
DOCKERFILE_LINE = re.compile(r"^  image: Dockerfile$", re.M)
PACKAGE_LINE = re.compile(r"^(\s+EVALCORE_PACKAGE: ).+$", re.M)
VERSION = re.compile(r'^__version__ = "(.+)"$', re.M)


class Refused(Exception):
    """One line saying why the release cannot be pinned."""


def _one(pattern: re.Pattern[str], text: str, path: Path, what: str) -> None:
    count = len(pattern.findall(text))
    if count != 1:
        raise Refused(f"{path}: expected exactly one line `{what}`, found {count}")


def pinned(root: Path, tag: str, image: str, digest: str) -> dict[Path, str]:
    """The new text of each file; raises Refused before anything is written."""
    if not (match := TAG.fullmatch(tag)):
        raise Refused(f"tag {tag!r} is not a release tag vX.Y.Z")
    if not IMAGE.fullmatch(image):
        raise Refused(f"image {image!r} is not ghcr.io/<owner in lower case>/evalcore")
    if not DIGEST.fullmatch(digest):
        raise Refused(f"digest {digest!r} is not sha256: and 64 lower-case hex digits")
    version = match[1]
    init = root / "evalcore/__init__.py"
    found = VERSION.search(init.read_text(encoding="utf-8"))
    if found is None or found[1] != version:
        raise Refused(f"tag {tag} does not match evalcore {found[1] if found else '(no __version__)'} in {init}")
    action, composite = root / "action.yml", root / "composite/action.yml"
    action_text, composite_text = action.read_text(encoding="utf-8"), composite.read_text(encoding="utf-8")
    _one(DOCKERFILE_LINE, action_text, action, "image: Dockerfile")
    _one(PACKAGE_LINE, composite_text, composite, "EVALCORE_PACKAGE: ...")
    return {
        action: DOCKERFILE_LINE.sub(f"  image: docker://{image}@{digest}", action_text),
        composite: PACKAGE_LINE.sub(lambda m: f"{m[1]}evalcore[emulator]=={version}", composite_text),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.pin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", required=True, help="the release tag, vX.Y.Z (evalcore's __version__)")
    parser.add_argument("--image", required=True, help="the pushed image, ghcr.io/<owner>/evalcore")
    parser.add_argument("--digest", required=True, help="the pushed image's digest, sha256:<64 hex>")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="the repository")
    args = parser.parse_args(argv)
    try:
        files = pinned(args.root, args.tag, args.image, args.digest)
    except (Refused, OSError) as exc:
        print(f"release.pin: {exc}", file=sys.stderr)
        return 2
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
