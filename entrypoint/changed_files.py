"""`changed-only`: which suites a pull request touches. A suite's files are the suite file and every file or folder
its YAML names (datasets, prompts, plans, …: any string value that is a path, relative to the suite file or the
workspace, that exists in the workspace). When in doubt every suite runs: not a pull request, no token, the API
failed, a suite file that cannot be read, or a pull request at GitHub's limit of 3,000 listed files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from entrypoint.workspace import OutsideWorkspace, confine, repo_path
from evalcore.github.client import GitHub, GitHubError
from evalcore.github.pr_comment import GitHubContext

# "Responses include a maximum of 3000 files":
# https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files
PULL_FILES_MAX = 3000


def pull_request_changes(env: Mapping[str, str], token: str | None) -> tuple[set[str] | None, str]:
    """The paths the pull request changes, or None (run every suite) with the reason."""
    ctx = GitHubContext.from_env(token=token, env=dict(env))
    number = ctx.pull_request.get("number")
    if ctx.event_name not in ("pull_request", "pull_request_target") or not number:
        return None, "not a pull request: every suite runs"
    if not ctx.token or not ctx.repository:
        return None, "no GitHub token to list the pull request's files: every suite runs"
    try:
        files = GitHub(repository=ctx.repository, token=ctx.token, api_url=ctx.api_url).pull_request_files(int(number))
    except GitHubError as exc:
        return None, f"cannot list the pull request's files ({exc}): every suite runs"
    if len(files) >= PULL_FILES_MAX:
        return None, f"the pull request lists {PULL_FILES_MAX:,} files or more (GitHub's limit): every suite runs"
    return set(files), f"the pull request changes {len(files)} files"


def touches(suite: Path, workspace: Path, changed: set[str]) -> bool:
    """Whether a changed path is the suite file or one its YAML names (a file, or anything under a folder)."""
    try:
        document = yaml.safe_load((workspace / suite).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return True  # cannot tell: run it, and let the run say what is wrong
    files, folders = {repo_path(suite)}, []
    for text in _strings(document):
        for candidate in (str(suite.parent / text), text):
            try:
                path = confine(candidate, workspace)
            except (OutsideWorkspace, ValueError):
                continue
            if (workspace / path).is_file():
                files.add(repo_path(path))
            elif (workspace / path).is_dir():
                folders.append("" if not path.parts else repo_path(path) + "/")
    return any(name in files or any(name.startswith(folder) for folder in folders) for name in changed)


def _strings(node: object) -> list[str]:
    """Every string value (and key) in a YAML document that could be a path: one line, not too long."""
    if isinstance(node, str):
        return [node] if node and "\n" not in node and len(node) < 500 else []
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []
