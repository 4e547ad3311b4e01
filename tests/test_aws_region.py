"""The AWS region: `--region` or the suite's `aws.region`, else AWS_REGION, else AWS_DEFAULT_REGION (or the profile's
region), as the AWS SDKs resolve it (AWS_REGION first); botocore alone reads only AWS_DEFAULT_REGION."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore.app.cli import main
from evalcore.bedrock.clients import Aws, CredentialsMissing
from evalcore.domain.results import CASES_FILE, read_cases
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, use_emulator

SUITE = f"""\
version: 1
name: region
models:
  haiku: {HAIKU}
evaluations:
  - name: qa
    dataset: data.jsonl
    models: [haiku]
    metrics: [token_f1]
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No region anywhere (no environment variable, no config file) but fake credentials."""
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREGIONTEST000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "explicit", "expected"),
    [
        ({"AWS_REGION": "eu-west-1"}, None, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "us-west-2"}, None, "us-west-2"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, None, "eu-west-1"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "ap-south-1", "ap-south-1"),
    ],
    ids=["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_REGION-first", "explicit-first"],
)
def test_the_region_comes_from_the_option_then_aws_region_then_aws_default_region(
    clean_env: pytest.MonkeyPatch, env: dict[str, str], explicit: str | None, expected: str
) -> None:
    for key, value in env.items():
        clean_env.setenv(key, value)
    aws = Aws(region=explicit)

    aws.check_credentials()

    assert aws.client("bedrock-runtime").meta.region_name == expected


def test_no_region_anywhere_is_an_error_naming_both_variables(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialsMissing) as missing:
        Aws().check_credentials()

    assert "AWS_REGION" in str(missing.value) and "AWS_DEFAULT_REGION" in str(missing.value)


def test_a_run_with_only_aws_region_set_reaches_the_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    use_emulator(monkeypatch, emulator)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    (tmp_path / "data.jsonl").write_text('{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n')
    (tmp_path / "suite.yml").write_text(SUITE)

    code = main(["run", str(tmp_path / "suite.yml"), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"])

    assert capsys.readouterr().err == ""
    assert code == 0
    assert [c.status for c in read_cases(tmp_path / "out" / CASES_FILE)] == ["pass"]
    assert len(emulator.requests("Converse")) == 1
