"""`evalcore history STORE`: a trend table per metric on the console; with --out, history.md (Mermaid line chart
per headline metric) and history.html (self-contained, inline SVG), model id and suite changes marked, names from
the runs escaped. Golden files: regenerate with EVALCORE_GOLDEN=update and read the diff."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from evalcore.app.cli import main
from tests.history.history_fixtures import MODEL_ID, run_dir

GOLDEN = Path(__file__).with_name("golden")
HOSTILE_SUITE = "<b>@org/team</b>|x `y` [z](http://e.x)"
NEW_ID = "anthropic.claude-3-haiku-20240307-v2:0"


def _history(tmp_path: Path, suite: str = "codes") -> Path:
    store = tmp_path / "history.jsonl"
    runs = [
        (1, 0.9, MODEL_ID, "hash1"),
        (2, 0.85, MODEL_ID, "hash1"),
        (3, 0.8, NEW_ID, "hash1"),  # the model id behind `m` changed
        (4, 0.7, NEW_ID, "hash2"),  # the suite changed
    ]
    for number, level, model_id, suite_hash in runs:
        results = run_dir(
            tmp_path / f"r{number}", number, lambda i, v=level: v if i % 5 else 0.0, model_id=model_id,
            suite=suite, suite_hash=suite_hash,
        )  # fmt: skip
        assert main(["history", "record", str(results), "--store", str(store)]) == 0
    return store


def test_history_prints_a_trend_table_per_metric(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _history(tmp_path)
    capsys.readouterr()
    assert main(["history", str(store), "--suite", "codes"]) == 0
    out = capsys.readouterr().out
    assert "codes · qa · m · Builtin.Correctness" in out and "codes · qa · m · pass_rate" in out
    table = out.split("Builtin.Correctness", 1)[1].split("\n\n")[0]
    rows = [line for line in table.splitlines() if re.match(r"\s+20\d\d-", line)]
    assert len(rows) == 4
    assert "0.720" in rows[0] and "0.560" in rows[3]  # 4 of 5 items at 0.9, 0.7
    assert f"model {MODEL_ID} → {NEW_ID}" in rows[2] and "suite changed" in rows[3]
    assert "(95% " in table.splitlines()[0]


def test_history_last_n_keeps_the_newest_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _history(tmp_path)
    capsys.readouterr()
    assert main(["history", str(store), "--last", "2"]) == 0
    table = capsys.readouterr().out.split("Builtin.Correctness", 1)[1].split("\n\n")[0]
    assert len([line for line in table.splitlines() if re.match(r"\s+20\d\d-", line)]) == 2


def test_an_empty_history_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", str(tmp_path / "none.jsonl")]) == 0
    assert "no runs in the history" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["history.md", "history.html"])
def test_the_history_renderers_match_their_golden_files(name: str, tmp_path: Path) -> None:
    store = _history(tmp_path, HOSTILE_SUITE)
    assert main(["history", str(store), "--out", str(tmp_path / "out")]) == 0
    actual = (tmp_path / "out" / name).read_text(encoding="utf-8")
    path = GOLDEN / name
    if os.environ.get("EVALCORE_GOLDEN") == "update":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "actual", lineterm="")
        pytest.fail("the history report differs from its golden file:\n" + "\n".join(list(diff)[:80]))


def test_the_history_reports_escape_names_and_load_nothing(tmp_path: Path) -> None:
    store = _history(tmp_path, HOSTILE_SUITE)
    assert main(["history", str(store), "--out", str(tmp_path / "out")]) == 0
    markdown = (tmp_path / "out" / "history.md").read_text()
    html = (tmp_path / "out" / "history.html").read_text()
    assert "<b>" not in markdown and "](http" not in markdown and "<b>" not in html
    assert "@org" not in markdown  # a zero-width space after @: no mention
    assert "```mermaid\nxychart-beta" in markdown and "    line [" in markdown
    assert markdown.count("◆ ") >= 2  # the model change and the suite change, listed under the chart
    assert "<svg" in html and "<script" not in html and not re.search(r"\b(src|href)=|url\(|@import", html)
    assert "default-src 'none'" in html


@pytest.mark.parametrize("form", [[], ["record"], ["check"]])
def test_every_history_form_has_help(form: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["history", *form, "--help"])
    assert exc.value.code == 0
    assert f"usage: evalcore history {' '.join(form)}".rstrip() in capsys.readouterr().out


def test_evalcore_help_lists_history(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "history" in capsys.readouterr().out
