"""The sticky pull-request comment against a local fake of the GitHub API: created once, updated in place (even
when the marker is on page 3), unchanged bodies not rewritten, read-only tokens and rate limits handled, the size
limit kept, and a comment problem never raising."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalcore.domain.results import (
    CASES_FILE,
    RUN_FILE,
    CaseResult,
    CaseWriter,
    MetricScore,
    RunMeta,
    RunResult,
    SectionSummary,
    Verdict,
    summarize,
    write_run,
)
from evalcore.github.client import GitHub
from evalcore.github.pr_comment import GitHubContext, post_comment
from evalcore.report.comment import marker, render_comment
from tests.fake_github import FakeGitHub, Fault

TOKEN = "ghs_fakeTokenThatMustNeverBePrinted0000"


def write_results(out: Path, scores: list[float], suite: str = "demo", sha: str = "a" * 40, output: str = "ok") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    cases = [
        CaseResult(
            case_id=f"c{i}",
            section="qa",
            kind="evaluation",
            model="haiku",
            model_id="anthropic.claude-3-haiku-20240307-v1:0",
            item_key=f"i{i}",
            status="pass" if s >= 0.5 else "fail",
            prompt=f"question {i}",
            output=output,
            metrics=[MetricScore(name="token_f1", value=s)],
        )
        for i, s in enumerate(scores)
    ]
    with CaseWriter(out / CASES_FILE) as writer:
        for c in cases:
            writer.write(c)
    summaries = summarize(cases)
    run = RunResult(
        run=RunMeta(suite=suite, run_id="r", tool_version="0.1.0", started_at=0.0, git_sha=sha, suite_hash="h"),
        sections=[
            SectionSummary(name="qa", kind="evaluation", planned=len(cases), models=[summaries[("qa", "haiku")]])
        ],
        verdict=Verdict(status="passed", exit_code=0),
    )
    write_run(out / RUN_FILE, run)
    return out


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def _ctx(fake: FakeGitHub, tmp_path: Path, event: dict, name: str = "pull_request") -> GitHubContext:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return GitHubContext.from_env(
        env={
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_API_URL": fake.url,
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_SHA": "b" * 40,
            "GITHUB_RUN_ID": "42",
            "GITHUB_TOKEN": TOKEN,
        }
    )


PR_EVENT = {
    "pull_request": {
        "number": 7,
        "base": {"ref": "main", "repo": {"full_name": "o/r"}},
        "head": {"ref": "feature", "repo": {"full_name": "o/r"}},
    }
}


def _client(fake: FakeGitHub, sleeps: list[float] | None = None) -> GitHub:
    return GitHub(
        repository="o/r", token=TOKEN, api_url=fake.url, sleep=(sleeps.append if sleeps is not None else lambda s: None)
    )


def test_the_first_run_creates_one_comment_saying_there_is_no_baseline(github: FakeGitHub, tmp_path: Path) -> None:
    out = write_results(tmp_path / "head", [0.9] * 10)
    said = post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github))
    assert said == "comment: #7 created"
    (comment,) = github.state.comments[7]
    assert comment["body"].startswith(marker("demo"))
    assert "No baseline yet" in comment["body"]
    assert "workflow run" in comment["body"] and "/o/r/actions/runs/42" in comment["body"]


def test_a_second_run_updates_the_comment_in_place_when_it_is_on_page_three(github: FakeGitHub, tmp_path: Path) -> None:
    for i in range(230):
        github.state.add_comment(7, f"chatter {i}", "someone")
    out = write_results(tmp_path / "head", [0.9] * 10)
    github.state.add_comment(7, marker("demo") + "\nold body", "github-actions[bot]")
    github.state.add_comment(7, "more chatter", "someone")
    said = post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github))
    assert said == "comment: #7 updated"
    mine = [c for c in github.state.comments[7] if marker("demo") in c["body"]]
    assert len(mine) == 1 and "old body" not in mine[0]["body"]
    assert github.calls("GET", r"/issues/7/comments$") == 3
    assert github.calls("POST", "comments") == 0


def test_a_marker_in_someone_elses_comment_is_not_taken_over(github: FakeGitHub, tmp_path: Path) -> None:
    github.state.add_comment(7, marker("demo") + " quoted by a human", "someone")
    out = write_results(tmp_path / "head", [0.9] * 10)
    assert post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github)) == "comment: #7 created"
    assert github.state.comments[7][0]["body"].endswith("quoted by a human")


def test_an_unchanged_body_is_not_written_again(github: FakeGitHub, tmp_path: Path) -> None:
    out = write_results(tmp_path / "head", [0.9] * 10)
    ctx = _ctx(github, tmp_path, PR_EVENT)
    post_comment(out, ctx, github=_client(github))
    assert post_comment(out, ctx, github=_client(github)) == "comment: #7 unchanged"
    assert github.calls("PATCH") == 0


def test_a_read_only_token_skips_the_comment_with_a_notice(github: FakeGitHub, tmp_path: Path) -> None:
    github.state.read_only = True
    out = write_results(tmp_path / "head", [0.9] * 10)
    said = post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github))
    assert said.startswith("comment: skipped: the token may not comment here (403)")
    assert TOKEN not in said


def test_a_fork_pull_request_is_detected_before_any_call(github: FakeGitHub, tmp_path: Path) -> None:
    event = json.loads(json.dumps(PR_EVENT))
    event["pull_request"]["head"]["repo"]["full_name"] = "stranger/r"
    out = write_results(tmp_path / "head", [0.9] * 10)
    said = post_comment(out, _ctx(github, tmp_path, event), github=_client(github))
    assert "fork" in said and github.state.log == []


def test_a_secondary_rate_limit_is_waited_out_as_retry_after_says(github: FakeGitHub, tmp_path: Path) -> None:
    github.state.faults.append(
        Fault("POST", r"/comments$", 403, {"retry-after": "7"}, "You have exceeded a secondary rate limit", times=2)
    )
    sleeps: list[float] = []
    out = write_results(tmp_path / "head", [0.9] * 10)
    assert post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github, sleeps)) == "comment: #7 created"
    assert sleeps == [7.0, 7.0]


def test_server_errors_are_retried_and_then_reported_as_a_warning(github: FakeGitHub, tmp_path: Path) -> None:
    github.state.faults.append(Fault("GET", r"/comments$", 502, times=1))
    out = write_results(tmp_path / "head", [0.9] * 10)
    assert post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github)) == "comment: #7 created"
    github.state.faults.append(Fault("GET", r"/comments$", 500, times=99))
    said = post_comment(out, _ctx(github, tmp_path, PR_EVENT), github=_client(github))
    assert said.startswith("comment: failed: GitHub API 500")


def test_a_push_finds_the_pull_requests_of_its_commit(github: FakeGitHub, tmp_path: Path) -> None:
    github.state.pulls_by_commit["b" * 40] = [3, 4]
    out = write_results(tmp_path / "head", [0.9] * 10)
    said = post_comment(out, _ctx(github, tmp_path, {}, name="push"), github=_client(github))
    assert said == "comment: #3 created, #4 created"


def test_a_fork_workflow_run_finds_its_pull_request_by_head_branch(github: FakeGitHub, tmp_path: Path) -> None:
    github.state.pulls_by_head["stranger:patch-1"] = [9]
    event = {
        "workflow_run": {
            "pull_requests": [],
            "head_branch": "patch-1",
            "head_repository": {"owner": {"login": "stranger"}},
        }
    }
    out = write_results(tmp_path / "head", [0.9] * 10)
    said = post_comment(out, _ctx(github, tmp_path, event, name="workflow_run"), github=_client(github))
    assert said == "comment: #9 created"


def test_the_comment_compares_with_a_baseline_directory_and_flags_a_regression(
    github: FakeGitHub, tmp_path: Path
) -> None:
    rng = random.Random(3)
    base_scores = [rng.uniform(0.8, 1.0) for _ in range(40)]
    base = write_results(tmp_path / "base", base_scores, sha="c" * 40)
    head = write_results(tmp_path / "head", [s - 0.2 for s in base_scores])
    said = post_comment(head, _ctx(github, tmp_path, PR_EVENT), baseline_spec=str(base), github=_client(github))
    assert said == "comment: #7 created"
    body = github.state.comments[7][0]["body"]
    assert "**1 regression, 0 improvements** vs `ccccccc`" in body
    assert "🔴 regression" in body and "token\\_f1" in body


def test_a_baseline_with_a_broken_results_file_is_named_and_the_comment_still_posted(
    github: FakeGitHub, tmp_path: Path
) -> None:
    base = write_results(tmp_path / "base", [0.9] * 10, sha="c" * 40)
    with (base / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("not json\n")
    head = write_results(tmp_path / "head", [0.9] * 10)
    said = post_comment(head, _ctx(github, tmp_path, PR_EVENT), baseline_spec=str(base), github=_client(github))
    assert (
        said
        == f"comment: #7 created (baseline unavailable: {base / 'results.jsonl'}:11: not a case result (JSONDecodeError))"
    )
    assert len(github.state.comments[7]) == 1


def test_the_baseline_can_come_from_the_base_branchs_newest_artifact(github: FakeGitHub, tmp_path: Path) -> None:
    base = write_results(tmp_path / "base", [0.9] * 20, sha="c" * 40)
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as archive:
        archive.write(base / RUN_FILE, RUN_FILE)
        archive.write(base / CASES_FILE, CASES_FILE)
        archive.writestr("../../evil.txt", "outside")
    github.state.blobs[5] = blob.getvalue()
    github.state.artifacts = [
        {"id": 4, "name": "evalcore-results", "expired": False, "created_at": "2026-01-01", "workflow_run": {"head_branch": "other"}, "archive_download_url": f"{github.url}/repos/o/r/actions/artifacts/4/zip"},
        {"id": 5, "name": "evalcore-results", "expired": False, "created_at": "2026-01-02", "workflow_run": {"head_branch": "main"}, "archive_download_url": f"{github.url}/repos/o/r/actions/artifacts/5/zip"},
    ]  # fmt: skip
    head = write_results(tmp_path / "head", [0.9] * 20)
    post_comment(
        head, _ctx(github, tmp_path, PR_EVENT), baseline_spec="artifact:evalcore-results", github=_client(github)
    )
    body = github.state.comments[7][0]["body"]
    assert "vs `ccccccc`" in body and "no significant change" in body
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_hostile_model_output_stays_inert_in_the_comment(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script> @org/team #12 | cell | ``` <!-- evalcore:demo -->"
    base = write_results(tmp_path / "base", [1.0] * 10, sha="c" * 40, output="fine")
    head = write_results(tmp_path / "head", [0.0] * 10, output=hostile)
    from evalcore.domain.compare import compare
    from evalcore.github.baseline import load_baseline

    b, h = load_baseline(str(base), "demo", None, base), load_baseline(str(head), "demo", None, head)
    assert b is not None and h is not None
    body = render_comment(h.run, compare(b.run, b.cases, h.run, h.cases))
    assert "<script>" not in body
    assert "@org" not in body and re.search(r"(?<!&)#12", body) is None
    assert body.count("<!-- evalcore:demo -->") == 1


def test_the_comment_fits_githubs_limit_and_says_it_was_cut(tmp_path: Path) -> None:
    base = write_results(tmp_path / "base", [1.0] * 10, sha="c" * 40)
    head = write_results(tmp_path / "head", [0.0] * 10, output="x" * 10_000)
    from evalcore.domain.compare import compare
    from evalcore.github.baseline import load_baseline

    b, h = load_baseline(str(base), "demo", None, base), load_baseline(str(head), "demo", None, head)
    assert b is not None and h is not None
    body = render_comment(h.run, compare(b.run, b.cases, h.run, h.cases), limit=1500)
    assert len(body) <= 1500
    assert "cut to fit" in body and body.startswith(marker("demo"))


def test_each_row_of_the_comment_labels_its_interval_and_shows_pairs_and_detectable_effect(
    github: FakeGitHub, tmp_path: Path
) -> None:
    rng = random.Random(4)
    base_scores = [rng.uniform(0.3, 0.9) for _ in range(30)]
    base = write_results(tmp_path / "base", base_scores, sha="c" * 40)
    head = write_results(tmp_path / "head", [min(1.0, s + rng.gauss(0, 0.2)) for s in base_scores])
    post_comment(head, _ctx(github, tmp_path, PR_EVENT), baseline_spec=str(base), github=_client(github))
    body = github.state.comments[7][0]["body"]
    row = next(line for line in body.splitlines() if "token\\_f1" in line and line.startswith("|"))
    assert "95% paired t, 30 pairs" in row and "| 30 |" in row
    assert "no change larger than 0." in row  # 30 noisy pairs cannot see a 0.02 change
    assert "Benjamini-Hochberg at a 5% false discovery rate" in body
    assert "(no significant change at a 5% false discovery rate)" in body


def test_diff_labels_every_interval_and_power_sizes_a_section_from_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalcore.app.cli import main

    rng = random.Random(8)
    scores = [rng.uniform(0.3, 0.9) for _ in range(50)]
    base = write_results(tmp_path / "base", scores, sha="c" * 40)
    head = write_results(tmp_path / "head", [min(1.0, s + rng.gauss(0, 0.1)) for s in scores])
    assert main(["diff", str(base), str(head)]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "token_f1" in ln)
    assert "(95% paired t, 50 pairs)" in line and "MDE 0." in line and " q=" in line
    assert main(["power", str(base), "--effect", "0.05"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "token_f1" in ln)
    needed = int(line.rsplit("items needed ", 1)[1])
    assert 50 < needed < 2000  # item means spread ~0.17: sd of a difference ~0.25 -> ~200 items for 0.05
