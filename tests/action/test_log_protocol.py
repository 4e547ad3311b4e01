"""The runner's file and log protocols, piece by piece: escaping, masking, redaction, annotation caps, the
outputs file and the 1 MiB step summary."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from entrypoint.annotations import Annotation, emit, verdict_annotations
from entrypoint.github_files import SUMMARY_LIMIT, append_summary, write_outputs
from entrypoint.secrets_guard import url_password
from entrypoint.workflow import Workflow, escape_data, escape_property
from evalcore.domain.results import ThresholdCheck, Verdict
from evalcore.text.secrets import Secrets, looks_secret
from tests.action.conftest import parse_outputs, runner_commands


def _workflow(known: tuple[str, ...] = ()) -> tuple[Workflow, io.StringIO]:
    stream = io.StringIO()
    return Workflow(stream, Secrets(known)), stream


def test_data_and_properties_are_escaped_as_the_runner_expects() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_an_annotation_cannot_be_split_into_two_commands() -> None:
    workflow, stream = _workflow()

    workflow.annotate("error", "first\n::set-output name=x::y", file="a,b:c.yml", line=3, title="t\n::x")

    [line] = stream.getvalue().splitlines()
    assert line == "::error file=a%2Cb%3Ac.yml,line=3,title=t%0A%3A%3Ax::first%0A::set-output name=x::y"


def test_untrusted_text_is_wrapped_in_a_fresh_stop_commands_token() -> None:
    workflow, stream = _workflow()

    workflow.show_untrusted("::error::boom")
    workflow.show_untrusted("::warning::again")

    processed = runner_commands(stream.getvalue())
    assert [name for name, _, _ in processed] == ["stop-commands", "stop-commands"]
    assert processed[0][2] != processed[1][2]


def test_known_secrets_are_redacted_everywhere_the_adapter_writes() -> None:
    workflow, stream = _workflow(("s3cr3t-value",))

    workflow.line("the key is s3cr3t-value")
    workflow.annotate("warning", "s3cr3t-value", title="s3cr3t-value")

    assert "s3cr3t-value" not in stream.getvalue()
    assert stream.getvalue().count("***") == 3


def test_secrets_come_from_the_environment_and_stay_out_of_repr() -> None:
    secrets = Secrets.from_env(
        {"AWS_SECRET_ACCESS_KEY": "abcdefghij", "INPUT_GITHUB-TOKEN": "ghs_x1234567", "HOME": "/r"}
    )

    assert secrets.redact("abcdefghij ghs_x1234567 /r") == "*** *** /r"
    assert "abcdefghij" not in repr(secrets)


def test_secret_looking_strings_are_found() -> None:
    text = (
        "AKIAIOSFODNN7EXAMPLE and ghp_" + "a" * 36 + " password=hunter22hunter and https://u:pw12345678@h/ plain words"
    )

    found = looks_secret(text)

    assert "AKIAIOSFODNN7EXAMPLE" in found
    assert "ghp_" + "a" * 36 in found
    assert "hunter22hunter" in found
    assert url_password("https://u:pw12345678@h/") == "pw12345678"
    assert url_password("https://h/") is None
    assert looks_secret("an ordinary answer about Paris") == []


def test_only_ten_annotations_per_level_are_shown_and_the_rest_counted() -> None:
    workflow, stream = _workflow()
    many = [Annotation("error", "t", f"breach {i}", "s.yml", i) for i in range(13)]
    many += [Annotation("warning", "t", f"warn {i}", "s.yml") for i in range(11)]

    emit(workflow, many)

    names = [name for name, _, _ in runner_commands(stream.getvalue())]
    assert names.count("error") == 10
    assert names.count("warning") == 10
    notice = [m for n, _, m in runner_commands(stream.getvalue()) if n == "notice"]
    assert notice == [
        "4 more problems not shown (GitHub shows 10 errors and 10 warnings a step): see the step summary or report.html"
    ]


def test_breaches_and_other_reasons_become_annotations_on_the_suite() -> None:
    check = ThresholdCheck(
        section="qa", model="haiku", metric="f1", bound="min", threshold=0.8, value=0.5, passed=False, line=12
    )
    passed = check.model_copy(update={"metric": "em", "passed": True})
    verdict = Verdict(
        status="error",
        exit_code=3,
        checks=[check, passed],
        reasons=["guard: did not run: no guardrail", "qa (haiku): f1 >= 0.8: got 0.5"],
    )

    found = verdict_annotations(verdict, "evals/suite.yml", "error", "warning")

    assert found == [  # a reason the results cannot be trusted comes before a breach
        Annotation("warning", "Evaluation error", "guard: did not run: no guardrail", "evals/suite.yml"),
        Annotation("error", "Threshold not met: qa (haiku)", "qa (haiku): f1 >= 0.8: got 0.5", "evals/suite.yml", 12),
    ]


def test_outputs_file_holds_multi_line_values_under_random_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("earlier<<EOF\nkept\nEOF\n")

    write_outputs(path, {"scores": '{"a": 1}', "notes": "line one\nline two\nEOF"})
    write_outputs(path, {"again": ""})

    assert parse_outputs(path.read_text()) == {
        "earlier": "kept",
        "scores": '{"a": 1}',
        "notes": "line one\nline two\nEOF",
        "again": "",
    }


def test_the_summary_is_appended_whole_when_it_fits(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    path.write_text("# before\n")

    cut = append_summary(path, "## evalcore\n| a | b |", "out/report.html")

    assert not cut
    assert path.read_text() == "# before\n## evalcore\n| a | b |\n"


def test_the_summary_is_cut_at_a_line_to_stay_within_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    path.write_bytes(b"x" * (SUMMARY_LIMIT - 5000) + b"\n")
    body = "".join(f"| row {i} | é |\n" for i in range(2000))

    cut = append_summary(path, body, "out/report.html")

    data = path.read_bytes()
    assert cut
    assert len(data) <= SUMMARY_LIMIT
    text = data.decode("utf-8")
    assert text.endswith("the full report is in `out/report.html` (an output of this step).\n")
    kept = text.split("\n", 1)[1].split("\n\n> The summary was cut")[0]
    assert all(line.startswith("| row ") and line.endswith(" |") for line in kept.splitlines())


def test_a_full_summary_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    path.write_bytes(b"x" * SUMMARY_LIMIT)

    assert append_summary(path, "more", None)
    assert path.stat().st_size == SUMMARY_LIMIT


def test_stderr_inside_an_untrusted_block_stays_between_its_tokens() -> None:
    workflow, stream = _workflow()

    with workflow.untrusted():
        print("::error::from the core's stderr", file=sys.stderr)

    lines = stream.getvalue().splitlines()
    assert lines[1] == "::error::from the core's stderr"
    assert [name for name, _, _ in runner_commands(stream.getvalue())] == ["stop-commands"]
