"""action.yml, the adapter and the README describe one interface: every input and output is in all three."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from entrypoint.outputs import step_outputs
from entrypoint.settings import INPUTS, env_name, read_settings
from tests.action.conftest import REPO, write_suite

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
README = (REPO / "README.md").read_text(encoding="utf-8")


def _readme_table(heading: str) -> list[str]:
    """The first-column names of the table under `### heading` in the README."""
    section = README.split(f"\n### {heading}\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)


def test_every_input_in_action_yml_is_documented_in_the_readme() -> None:
    assert _readme_table("Inputs") == list(ACTION["inputs"])


def test_every_output_in_action_yml_is_documented_in_the_readme() -> None:
    assert _readme_table("Outputs") == list(ACTION["outputs"])


def test_every_input_and_output_has_a_description() -> None:
    for kind in ("inputs", "outputs"):
        for name, spec in ACTION[kind].items():
            assert len(spec.get("description", "").strip()) > 20, f"{kind}.{name}"


def test_the_adapter_reads_exactly_the_inputs_of_action_yml() -> None:
    assert set(INPUTS) == set(ACTION["inputs"])


def test_the_adapter_writes_exactly_the_outputs_of_action_yml(tmp_path: Path) -> None:
    assert set(step_outputs(None, Path("evalcore-out"), tmp_path)) == set(ACTION["outputs"])


def test_action_yml_defaults_as_the_runner_fills_them_in_are_valid(tmp_path: Path) -> None:
    write_suite(tmp_path)
    env = {env_name(name): str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    env[env_name("suite")] = "evals/suite.yml"
    env[env_name("github-token")] = "ghs_token_the_runner_substituted"

    settings = read_settings(env, tmp_path)

    assert ACTION["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert (settings.fail_on, settings.comment, settings.emulator) == ("threshold", "auto", False)
    assert settings.out_dir == Path(ACTION["inputs"]["out-dir"]["default"])


def test_the_action_is_a_docker_action_with_branding() -> None:
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert {"icon", "color"} <= set(ACTION["branding"])
    assert ACTION["inputs"]["suite"]["required"] is True


def test_the_readme_tells_how_to_use_the_step_safely() -> None:
    action = README.split("\n## The GitHub Action\n", 1)[1].split("\n## ", 1)[0]
    assert "Linux runners only" in action
    assert "id-token: write" in action and "pull-requests: write" in action and "contents: read" in action
    assert "aws-actions/configure-aws-credentials" in action
    assert "docker run" in action


def _evalcore_steps() -> list[tuple[str, dict[str, object]]]:
    """Every step in the project's and the example workflows that uses this action."""
    found = []
    for path in sorted(
        [*(REPO / ".github" / "workflows").glob("*.yml"), *(REPO / "examples" / "workflows").glob("*.yml")]
    ):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                uses = str(step.get("uses", ""))
                if uses == "./" or re.fullmatch(r"[\w-]+/evalcore@[\w.-]+", uses):
                    found.append((f"{path.name}: {uses}", step.get("with", {})))
    return found


def test_workflows_give_the_action_only_inputs_it_has() -> None:
    steps = _evalcore_steps()

    assert any(name.startswith("ci.yml: ./") for name, _ in steps), "ci.yml self-tests the action"
    for name, inputs in steps:
        assert set(inputs) <= set(ACTION["inputs"]), f"{name}: {sorted(set(inputs) - set(ACTION['inputs']))}"
        assert "suite" in inputs, name


def test_a_release_pins_the_image_line_by_digest() -> None:
    release = (REPO / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    action_text = (REPO / "action.yml").read_text(encoding="utf-8")
    digest = "sha256:" + "a" * 64

    released = re.sub(r"(?m)^  image: Dockerfile$", f"  image: docker://ghcr.io/owner/evalcore@{digest}", action_text)

    # The rewrite is `python -m release.pin` (tests/release/test_release_pin.py runs it); release.yml calls it with
    # the image job's name and digest.
    assert 'python3 -m release.pin --tag "$TAG" --image "$IMAGE" --digest "$DIGEST"' in release
    assert "DIGEST: ${{ needs.image.outputs.digest }}" in release
    assert yaml.safe_load(released)["runs"] == {"using": "docker", "image": f"docker://ghcr.io/owner/evalcore@{digest}"}
