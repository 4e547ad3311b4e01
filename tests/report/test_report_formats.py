"""One registration per report format (evalcore/report/formats.py): every declared format has one renderer and
every renderer a declared format; `evalcore report --format` offers exactly the declared formats, each writes its
declared file, and the Action names that file in the declared output of action.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.formats import FORMATS
from evalcore.report.render import render_reports, writers

REPO = Path(__file__).resolve().parents[2]


def test_every_declared_format_has_one_renderer_and_every_renderer_a_declared_format() -> None:
    assert sorted(writers()) == sorted(FORMATS)


def test_the_report_command_offers_exactly_the_declared_formats(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])

    assert "{" + ",".join([*FORMATS, "all"]) + "}" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_declared_format_writes_its_declared_file(
    name: str, tmp_path: Path, run: RunResult, cases: list[CaseResult]
) -> None:
    assert [p.name for p in render_reports(tmp_path, run, name, cases=cases)] == [FORMATS[name].file]


def test_the_action_declares_an_output_for_every_report_format() -> None:
    outputs = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["outputs"]

    assert [fmt.action_output for fmt in FORMATS.values() if fmt.action_output not in outputs] == []
