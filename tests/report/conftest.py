"""Fixtures of the report tests: a synthetic run with hostile text (see report_fixtures.py)."""

from __future__ import annotations

import pytest

from evalcore.domain.results import CaseResult, RunResult
from tests.report.report_fixtures import build_cases, build_run


@pytest.fixture
def cases() -> list[CaseResult]:
    return build_cases()


@pytest.fixture
def run(cases: list[CaseResult]) -> RunResult:
    return build_run(cases)
