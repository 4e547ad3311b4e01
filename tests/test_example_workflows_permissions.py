"""The example workflows ask for what they use: reading an `artifact:` baseline lists the repository's workflow
artifacts, which GitHub allows only with `actions: read` once a workflow sets `permissions:` (GitHub REST API,
"List artifacts for a repository": fine-grained "Actions" repository permissions (read))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).parent.parent / "examples" / "workflows").glob("*.yml"))


def _reads_artifact_baseline(job: dict[str, Any]) -> bool:
    for step in job.get("steps") or []:
        baseline = str((step.get("with") or {}).get("baseline", ""))
        if baseline.startswith("artifact:") or "--baseline artifact:" in str(step.get("run", "")):
            return True
    return False


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_a_job_reading_an_artifact_baseline_may_read_actions(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    for name, job in (workflow.get("jobs") or {}).items():
        if not _reads_artifact_baseline(job):
            continue
        permissions = job.get("permissions", workflow.get("permissions"))
        if permissions is None:
            continue  # no `permissions:` anywhere: the token keeps the repository's defaults
        assert isinstance(permissions, dict) and permissions.get("actions") in ("read", "write"), (
            f"{path.name}: job {name} reads an artifact baseline without `actions: read`"
        )
