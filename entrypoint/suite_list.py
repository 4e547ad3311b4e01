"""The `suite` input: one suite file, several (separated by newlines or commas) or glob patterns (`evals/*/suite.yml`,
`**` for any depth), each confined to the workspace. The result is the files in the order given (a pattern's matches
sorted), each once; a pattern that matches no file, a path that is not a file, or two suites that would write to
the same results folder (`a.yml` and `a.yaml` side by side) is an error naming the input."""

from __future__ import annotations

from pathlib import Path

from entrypoint.workspace import confine

_GLOB = set("*?[")


def _shown(value: str) -> str:
    return "'" + (value if len(value) <= 80 else value[:77] + "...") + "'"


def suite_files(value: str, workspace: Path) -> tuple[Path, ...]:
    items = [item.strip() for line in value.splitlines() for item in line.split(",")]
    found: list[Path] = []
    for item in (item for item in items if item):
        if _GLOB & set(item):
            pattern = confine(item, workspace)  # `..` in a pattern cannot climb out
            matches = sorted(path for path in workspace.glob(str(pattern)) if path.is_file())
            if not matches:
                raise ValueError(f"{_shown(item)} matches no file in the workspace ({workspace})")
            found.extend(confine(str(match.relative_to(workspace)), workspace) for match in matches)
            continue
        path = confine(item, workspace)
        if (workspace / path).is_dir():
            raise ValueError(f"{_shown(item)} is a directory (give the path of the suite file)")
        if not (workspace / path).is_file():
            raise ValueError(f"{_shown(item)}: no such file in the workspace ({workspace})")
        found.append(path)
    suites = tuple(dict.fromkeys(found))
    if not suites:
        raise ValueError("required: the path of the suite file in the repository (e.g. evals/suite.yml)")
    folders: dict[Path, Path] = {}
    for suite in suites:
        other = folders.setdefault(suite.with_suffix(""), suite)
        if other != suite and len(suites) > 1:
            raise ValueError(f"'{other}' and '{suite}' would share the same results folder: rename one")
    return suites
