"""The built image, run the way the GitHub runner runs a container action (INPUT_* and GITHUB_* variables, the
workspace, file commands and event mounted under /github) and the way `docker run` users run the command."""

from __future__ import annotations

import json
import os
import shutil
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.action.conftest import parse_outputs, runner_commands
from tests.container.conftest import BASE_IMAGE, docker
from tests.container.test_image_recipe import trim_module

REPO = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "ghs_ContainerFakeToken0123456789abcdefghij"
SIZE_BUDGET = 80 * 1000 * 1000  # bytes the image may add over its base


def _runner_layout(tmp_path: Path) -> dict[str, Path]:
    """The host folders the runner mounts: the workspace (with the example suite), file commands, the workflow."""
    layout = {name: tmp_path / name for name in ("workspace", "file_commands", "workflow", "home")}
    for path in layout.values():
        path.mkdir()
    shutil.copytree(REPO / "examples" / "quickstart", layout["workspace"] / "examples" / "quickstart")
    (layout["workflow"] / "event.json").write_text(
        json.dumps({"pull_request": {"number": 3, "head": {"repo": {"full_name": "o/r"}}, "base": {"sha": "1" * 40}}}),
        encoding="utf-8",
    )
    return layout


def _run_as_runner(image: str, layout: dict[str, Path], inputs: dict[str, str]) -> tuple[int, str, Path, Path]:
    """`docker run` as the runner builds it: `-e NAME` for every variable (values from the environment), the
    mounts, `--workdir /github/workspace`; returns exit code, log, outputs file and summary file (host paths)."""
    step = uuid.uuid4()
    output, summary = f"set_output_{step}", f"step_summary_{step}"
    (layout["file_commands"] / output).touch()
    (layout["file_commands"] / summary).write_text("# an earlier step\n", encoding="utf-8")
    variables = {
        "HOME": "/github/home",
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "RUNNER_OS": "Linux",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": f"/github/file_commands/{output}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary}",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_SHA": "2" * 40,
        "GITHUB_REF": "refs/pull/3/merge",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "INPUT_OUT-DIR": "evalcore-out",
        "INPUT_CACHE-DIR": ".evalcore/cache",
        "INPUT_COMMENT": "auto",
        "INPUT_FAIL-ON": "threshold",
        "INPUT_EMULATOR": "false",
        "INPUT_GITHUB-TOKEN": FAKE_TOKEN,
        **{"INPUT_" + name.upper(): value for name, value in inputs.items()},
    }
    args = ["run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
    for name in variables:
        args += ["-e", name]
    for host, inside in (("workspace", "workspace"), ("file_commands", "file_commands"), ("workflow", "workflow")):
        args += ["-v", f"{layout[host]}:/github/{inside}"]
    args += ["-v", f"{layout['home']}:/github/home", image]
    result = docker(*args, timeout=300, env={**os.environ, **variables})
    return (
        result.returncode,
        result.stdout + result.stderr,
        layout["file_commands"] / output,
        layout["file_commands"] / summary,
    )


@pytest.fixture(scope="module")
def quickstart_step(image: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path, Path, Path]:
    layout = _runner_layout(tmp_path_factory.mktemp("runner"))
    code, log, outputs, summary = _run_as_runner(
        image, layout, {"suite": "examples/quickstart/suite.yml", "emulator": "true"}
    )
    return code, log, outputs, summary, layout["workspace"]


def test_the_step_exits_with_the_verdicts_code(quickstart_step: tuple[int, str, Path, Path, Path]) -> None:
    code, log, _, _, workspace = quickstart_step
    results = json.loads((workspace / "evalcore-out" / "results.json").read_text())

    assert results["schema_version"] == 1
    assert code == results["verdict"]["exit_code"], log[-3000:]
    assert code in (0, 1)


def test_the_step_writes_every_output_for_later_steps(quickstart_step: tuple[int, str, Path, Path, Path]) -> None:
    _, _, outputs_file, _, workspace = quickstart_step
    outputs = parse_outputs(outputs_file.read_text())
    results = json.loads((workspace / "evalcore-out" / "results.json").read_text())
    action = yaml.safe_load((REPO / "action.yml").read_text())

    assert set(outputs) == set(action["outputs"])
    assert outputs["verdict"] == results["verdict"]["status"]
    assert outputs["passed"] == str(results["verdict"]["status"] == "passed").lower()
    assert outputs["results-path"] == "evalcore-out/results.json"
    for name in ("junit-path", "summary-path", "html-path"):
        assert outputs[name] and (workspace / outputs[name]).is_file(), name
    scores = json.loads(outputs["scores"])
    assert set(scores["qa"]) == {"haiku", "sonnet"}
    assert 0.0 <= float(outputs["pass-rate"]) <= 1.0


def test_the_step_leaves_junit_and_results_files_in_the_workspace(
    quickstart_step: tuple[int, str, Path, Path, Path],
) -> None:
    _, _, _, _, workspace = quickstart_step
    out = workspace / "evalcore-out"
    cases = (out / "results.jsonl").read_text().splitlines()
    root = ET.parse(out / "junit.xml").getroot()

    testcases = list(root.iter("testcase"))

    assert len(cases) == 40  # 20 questions x 2 models
    assert root.tag == "testsuites"
    assert sum(int(suite.get("tests", "0")) for suite in root.iter("testsuite")) == len(testcases)
    assert len([t for t in testcases if t.get("file") == "examples/quickstart/datasets/qa.jsonl"]) == len(cases)
    assert all(float(t.get("time", "0")) > 0 for t in testcases)
    assert (out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_the_step_appends_the_summary(quickstart_step: tuple[int, str, Path, Path, Path]) -> None:
    _, _, _, summary_file, workspace = quickstart_step
    summary = summary_file.read_text()

    assert summary.startswith("# an earlier step\n")
    assert (workspace / "evalcore-out" / "summary.md").read_text().strip() in summary
    assert "quickstart" in summary
    assert len(summary.encode()) <= 1024 * 1024


def test_the_step_log_is_grouped_and_never_shows_the_token(quickstart_step: tuple[int, str, Path, Path, Path]) -> None:
    _, log, _, _, _ = quickstart_step
    groups = [message for name, _, message in runner_commands(log) if name == "group"]

    assert groups[:2] == ["evalcore: inputs", "evalcore run examples/quickstart/suite.yml"]
    assert FAKE_TOKEN not in log
    assert "emulator: True" in log


def test_a_bad_input_in_the_container_is_one_line_and_exit_2(image: str, tmp_path: Path) -> None:
    layout = _runner_layout(tmp_path)

    code, log, outputs, _ = _run_as_runner(image, layout, {"suite": "../../etc/passwd"})

    assert code == 2
    assert log.strip().splitlines() == [
        "::error title=evalcore%3A invalid input::input 'suite': '../../etc/passwd' is outside the workspace "
        "(/github/workspace)"
    ]
    # Bad input still sets the outputs, so a later step reads `error` rather than nothing (one verdict everywhere).
    got = parse_outputs(outputs.read_text())
    assert (got["verdict"], got["passed"], got["results-path"]) == ("error", "false", "")


def test_with_arguments_the_image_runs_the_command(image: str, tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples" / "quickstart", tmp_path / "examples" / "quickstart")
    mount = ["-v", f"{tmp_path}:/github/workspace"]

    version = docker("run", "--rm", "--network", "none", image, "--version")
    validate = docker("run", "--rm", "--network", "none", *mount, image, "validate", "examples/quickstart/suite.yml")
    run = docker(
        "run", "--rm", "--network", "host", *mount, image, "run", "examples/quickstart/suite.yml", "--emulator",
        "--out", "cli-out", "--quiet",
        timeout=300,
    )  # fmt: skip

    from evalcore import __version__

    assert (version.returncode, version.stdout.strip()) == (0, f"evalcore {__version__}")
    assert validate.returncode == 0 and "is valid" in validate.stdout
    results = json.loads((tmp_path / "cli-out" / "results.json").read_text())
    assert run.returncode == results["verdict"]["exit_code"], run.stderr[-2000:]


def test_docker_run_as_the_calling_user_writes_files_they_own(image: str, tmp_path: Path) -> None:
    """The README's `docker run -u "$(id -u):$(id -g)"`: a user the image does not know (HOME=/), on a read-only root
    filesystem, runs the suite; what lands in the mount (results, reports, the response cache) is theirs."""
    uid, gid = (os.getuid(), os.getgid()) if os.getuid() != 0 else (4321, 4321)
    shutil.copytree(REPO / "examples" / "quickstart", tmp_path / "examples" / "quickstart")
    for path in [tmp_path, *tmp_path.rglob("*")]:
        os.chown(path, uid, gid)

    run = docker(
        "run", "--rm", "--network", "host", "--read-only", "-u", f"{uid}:{gid}", "-v", f"{tmp_path}:/github/workspace",
        image,
        "run", "examples/quickstart/suite.yml", "--emulator", "--out", "user-out", "--quiet",
        timeout=300,
    )  # fmt: skip

    results = json.loads((tmp_path / "user-out" / "results.json").read_text())
    assert run.returncode == results["verdict"]["exit_code"], run.stderr[-2000:]
    written = [*(tmp_path / "user-out").rglob("*"), *(tmp_path / ".evalcore").rglob("*")]
    assert len(written) > 5
    assert {(path.stat().st_uid, path.stat().st_gid) for path in written} == {(uid, gid)}


def test_every_kept_client_and_the_emulators_s3_iam_sts_work_in_the_image(image: str) -> None:
    services = sorted(trim_module().BOTOCORE_SERVICES)
    script = f"""
import boto3
from evalcore_emulator import Emulator
for name in {services!r}:
    boto3.client(name, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
with Emulator() as emu:
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="image-check")
    s3.put_object(Bucket="image-check", Key="k", Body=b"v")
    assert s3.get_object(Bucket="image-check", Key="k")["Body"].read() == b"v"
    emu.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{{}}")
    assert emu.client("sts").get_caller_identity()["Account"]
    print("ok", len({services!r}))
"""

    result = docker("run", "--rm", "--network", "host", "--entrypoint", "python", image, "-c", script, timeout=120)

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith(f"ok {len(services)}")


def test_the_image_has_no_compiler_and_runs_as_root(image: str) -> None:
    probe = "for c in gcc cc g++ clang make; do command -v $c; done; id -u"

    result = docker("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", probe)

    assert result.stdout.split() == ["0"], result.stdout


def test_the_image_adds_at_most_80_mb_over_its_base(image: str) -> None:
    sizes = {}
    for tag in (image, BASE_IMAGE):
        inspect = docker("image", "inspect", tag, "--format", "{{.Size}}")
        assert inspect.returncode == 0, f"{tag}: {inspect.stderr} (EVALCORE_BASE_IMAGE names the base)"
        sizes[tag] = int(inspect.stdout)

    added = sizes[image] - sizes[BASE_IMAGE]

    assert 0 < added <= SIZE_BUDGET, f"{added / 1e6:.1f} MB added over {BASE_IMAGE}"
