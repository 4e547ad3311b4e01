"""Where a baseline comes from: a results file or directory, an S3 prefix, or the newest artifact of the base
branch. No baseline (a first run) is normal: `load_baseline` returns None and the comment says so.

Spec forms:
- `path/to/results.json` or `path/to/dir` (with results.json and results.jsonl);
- `s3://bucket/prefix/`: `<prefix>/<suite>/<branch>/results.json(l)` (written by `publish_to_s3` on pushes);
- `artifact:NAME`: the newest artifact called NAME from a run on the base branch (GitHub API).
An artifact is untrusted (a fork's workflow may have produced it): only the two results files are read from it,
size-limited, and they are re-validated and re-rendered, never posted as they are.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalcore.domain.results import CASES_FILE, RUN_FILE, ResultsFile, RunResult, read_run
from evalcore.github.client import GitHub, GitHubError

MAX_ARTIFACT_FILE = 512 * 1024 * 1024


class BaselineError(Exception):
    """The baseline was asked for but cannot be read (a warning in the comment, never a failed evaluation)."""


@dataclass
class Baseline:
    run: RunResult
    cases: ResultsFile  # read when compared, a case at a time
    origin: str


def load_baseline(
    spec: str,
    suite: str,
    branch: str | None,
    workdir: Path,
    github: GitHub | None = None,
    s3: Any = None,
) -> Baseline | None:
    """The baseline named by `spec`, or None when there is none yet. Raises BaselineError when unreadable."""
    if spec.startswith("s3://"):
        if s3 is None or branch is None:
            raise BaselineError("an s3:// baseline needs AWS access and the base branch's name")
        return _from_s3(spec, suite, branch, workdir, s3)
    if spec.startswith("artifact:"):
        if github is None or branch is None:
            raise BaselineError("an artifact baseline needs a GitHub token and the base branch's name")
        return _from_artifact(spec.removeprefix("artifact:"), branch, workdir, github)
    return _from_path(Path(spec))


def _from_path(path: Path) -> Baseline | None:
    directory = path if path.is_dir() else path.parent
    run_file = path if path.is_file() else directory / RUN_FILE
    if not run_file.exists():
        return None
    try:
        run = read_run(run_file)
    except (ValueError, OSError) as exc:
        raise BaselineError(f"{run_file}: cannot read the baseline: {exc}") from None
    return Baseline(run, ResultsFile(directory / CASES_FILE), str(run_file))


def _s3_key(spec: str, suite: str, branch: str) -> tuple[str, str]:
    bucket, _, prefix = spec.removeprefix("s3://").partition("/")
    safe_branch = branch.replace("/", "-")
    return bucket, f"{prefix.rstrip('/') + '/' if prefix else ''}{suite}/{safe_branch}/"


def _from_s3(spec: str, suite: str, branch: str, workdir: Path, s3: Any) -> Baseline | None:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = _s3_key(spec, suite, branch)
    target = workdir / "baseline"
    target.mkdir(parents=True, exist_ok=True)
    for name in (RUN_FILE, CASES_FILE):
        try:
            s3.download_file(bucket, prefix + name, str(target / name))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                if name == RUN_FILE:
                    return None
                continue
            raise BaselineError(f"s3://{bucket}/{prefix}{name}: {code or exc}") from None
        except BotoCoreError as exc:
            raise BaselineError(f"s3://{bucket}/{prefix}{name}: {exc}") from None
    return _from_path(target)


def publish_to_s3(spec: str, suite: str, branch: str, out: Path, s3: Any) -> str:
    """Store a run's results as the baseline of `branch` (on pushes). Returns the prefix written."""
    bucket, prefix = _s3_key(spec, suite, branch)
    for name in (CASES_FILE, RUN_FILE):  # the run file last: readers look for it first
        s3.upload_file(str(out / name), bucket, prefix + name)
    return f"s3://{bucket}/{prefix}"


def _from_artifact(name: str, branch: str, workdir: Path, github: GitHub) -> Baseline | None:
    try:
        artifact = github.newest_artifact(name, branch)
        if artifact is None:
            return None
        blob = github.download(artifact["archive_download_url"])
    except GitHubError as exc:
        raise BaselineError(f"artifact '{name}': {exc}") from None
    target = workdir / "baseline"
    target.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            for info in archive.infolist():
                base = Path(info.filename).name
                if base in (RUN_FILE, CASES_FILE) and info.file_size <= MAX_ARTIFACT_FILE:
                    (target / base).write_bytes(archive.read(info))
    except zipfile.BadZipFile:
        raise BaselineError(f"artifact '{name}' is not a zip archive") from None
    return _from_path(target)
