"""After the run: the sticky pull-request comment (against the baseline) and, on pushes, the S3 baseline.

Neither can change the verdict: a problem here is a warning annotation, and the run's exit code stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from entrypoint.settings import ActionSettings
from entrypoint.workflow import Level, Workflow
from evalcore.domain.results import RunResult
from evalcore.github.baseline import publish_to_s3
from evalcore.github.pr_comment import GitHubContext, SuiteOutcome, post_comment, post_suites_comment


def comment_and_publish(
    settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, run: RunResult, trend: str | None = None
) -> None:
    token = settings.github_token.get_secret_value() if settings.github_token else None
    ctx = GitHubContext.from_env(token=token, env=dict(env))
    s3 = s3_client(settings) if (settings.baseline or "").startswith("s3://") else None
    said = post_comment(
        settings.out_dir,
        ctx,
        mode=settings.comment,
        baseline_spec=settings.baseline,
        s3=s3,
        report_hint="report.html is in the results directory (upload it with actions/upload-artifact)",
        trend=trend,
    )
    _say(settings, workflow, said)
    publish(settings, env, workflow, run, s3)


def comment_many(
    settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, key: str, suites: list[SuiteOutcome]
) -> None:
    """The one sticky comment of a many-suite step (a section per suite; `key` is the `suite` input)."""
    token = settings.github_token.get_secret_value() if settings.github_token else None
    ctx = GitHubContext.from_env(token=token, env=dict(env))
    s3 = s3_client(settings) if (settings.baseline or "").startswith("s3://") else None
    hint = "each suite's report.html is in its results folder (upload them with actions/upload-artifact)"
    _say(settings, workflow, post_suites_comment(key, suites, ctx, mode=settings.comment, s3=s3, report_hint=hint))


def _say(settings: ActionSettings, workflow: Workflow, said: str) -> None:
    if settings.comment != "never":
        level: Level = "warning" if said.startswith("comment: failed") else "notice"
        workflow.annotate(level, workflow.secrets.redact(said), title="evalcore")


def publish(settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, run: RunResult, s3: Any) -> None:
    """On a push to a branch with an `s3://` baseline: store the run there as that branch's baseline."""
    ctx = GitHubContext.from_env(env=dict(env))
    if s3 is not None and ctx.event_name == "push" and env.get("GITHUB_REF_NAME"):
        try:
            where = publish_to_s3(settings.baseline or "", run.run.suite, env["GITHUB_REF_NAME"], settings.out_dir, s3)
        except Exception as exc:  # boto3 raises many kinds; a failed upload is a warning, never a verdict
            workflow.annotate("warning", f"baseline not published: {type(exc).__name__}: {exc}", title="evalcore")
        else:
            workflow.line(f"evalcore: baseline published to {where}")


def s3_client(settings: ActionSettings) -> Any:
    from evalcore.bedrock.clients import Aws

    return Aws(region=settings.aws_region).client("s3")
