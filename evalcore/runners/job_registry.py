"""`jobs.json` in the run directory: every evaluation job created, written (atomically) as each is created, so
`--resume` re-attaches to jobs that are still running or finished instead of paying for new ones.

Each entry holds what reading the job's results needs again: its name and ARN, its model, its cases and the
dataset lines they were sent as.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evalcore.runners.job_requests import JobPlan

JOBS_FILE = "jobs.json"
_LOCK = threading.Lock()  # sections run in threads and share the file


class RecordedJob(BaseModel):
    section: str
    name: str
    arn: str
    model: str
    model_id: str
    shard: int
    run_id: str
    case_ids: list[str]
    lines: list[dict[str, Any]]
    dataset_key: str
    request: dict[str, Any] = Field(default_factory=dict)

    def plan(self) -> JobPlan:
        return JobPlan(
            self.name,
            self.section,
            self.model,
            self.model_id,
            self.shard,
            self.case_ids,
            self.lines,
            self.dataset_key,
            self.request,
        )


class _JobsFile(BaseModel):
    jobs: list[RecordedJob] = Field(default_factory=list)


def read_jobs(out: Path) -> list[RecordedJob]:
    path = out / JOBS_FILE
    if not path.is_file():
        return []
    return _JobsFile.model_validate_json(path.read_text(encoding="utf-8")).jobs


def record_job(out: Path, job: JobPlan, arn: str, run_id: str) -> None:
    """Add a created job to `jobs.json` (write a temporary file, then rename: never a half-written file)."""
    entry = RecordedJob(
        section=job.section,
        name=job.name,
        arn=arn,
        model=job.model,
        model_id=job.model_id,
        shard=job.shard,
        run_id=run_id,
        case_ids=job.case_ids,
        lines=job.lines,
        dataset_key=job.dataset_key,
        request=job.request,
    )
    with _LOCK:
        jobs = [j for j in read_jobs(out) if j.arn != arn]
        jobs.append(entry)
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / (JOBS_FILE + ".tmp")
        tmp.write_text(json.dumps(_JobsFile(jobs=jobs).model_dump(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(out / JOBS_FILE)
