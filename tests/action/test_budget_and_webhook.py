"""The Action's cost budget (`max-cost-usd`, output `cost-usd`) and its failure webhook (`webhook-url`,
`webhook-on`), as the runner drives the step (`python -m entrypoint`) on the emulator, with a local HTTP server in
place of Slack. The webhook's URL is a secret: masked, never printed, never in an error; a webhook that fails is a
warning and the verdict stays what the run said."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from junitparser import Error, JUnitXml

from tests.action.conftest import REPO, action_env, run_step, write_suite

SECRET_PATH = "/services/T000/B000/XsecretWebhookToken42"


class FakeWebhook:
    """Slack's incoming webhook on loopback: records each POST's JSON; answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.posts: list[dict] = []
        self.status = status
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                hook.posts.append(
                    {
                        "path": self.path,
                        "type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    hook = FakeWebhook()
    yield hook
    hook.close()


def _scheduled(workspace: Path, inputs: dict[str, str], ref: str = "main") -> dict[str, str]:
    env = action_env(workspace, {"suite": "evals/suite.yml", "emulator": "true", **inputs})
    env.update({"GITHUB_EVENT_NAME": "schedule", "GITHUB_REF_NAME": ref, "GITHUB_RUN_ID": "4242"})
    env["GITHUB_SERVER_URL"] = "https://github.test"
    return env


def test_a_failed_scheduled_run_posts_slack_json_and_never_prints_the_url(
    workspace: Path, webhook: FakeWebhook
) -> None:
    write_suite(workspace, minimum=1.0)  # one of two answers holds its reference: contains >= 1.0 fails
    step = run_step(
        _scheduled(workspace, {"webhook-url": webhook.url}, ref="fix/<!channel>&<http://evil|x>"), workspace
    )

    assert step.code == 1 and step.outputs()["verdict"] == "failed"
    (post,) = webhook.posts
    assert post["path"] == SECRET_PATH and post["type"] == "application/json"
    text = post["body"]["text"]
    assert "*gate* failed (exit 1)" in text
    assert "1 pass, 1 fail, 0 error, 0 skipped of 2 cases" in text
    assert "<https://github.test/o/r/actions/runs/4242|the workflow run>" in text
    assert "ref fix/&lt;!channel&gt;&amp;&lt;http://evil|x&gt;" in text  # the branch name cannot ping or link
    assert "<!channel>" not in text and "<http://evil" not in text
    assert ("add-mask", {}, webhook.url) in step.commands()
    masked = step.log.replace(f"::add-mask::{webhook.url}", "")
    assert SECRET_PATH not in masked and "XsecretWebhookToken42" not in step.summary_file.read_text()


def test_a_passing_run_and_a_pull_request_do_not_notify_by_default(workspace: Path, webhook: FakeWebhook) -> None:
    write_suite(workspace, minimum=0.5)
    assert run_step(_scheduled(workspace, {"webhook-url": webhook.url}), workspace).code == 0
    write_suite(workspace, minimum=1.0)
    on_pr = action_env(workspace, {"suite": "evals/suite.yml", "emulator": "true", "webhook-url": webhook.url})
    assert run_step(on_pr, workspace).code == 1
    assert webhook.posts == []
    always = {"webhook-url": webhook.url, "webhook-on": "always"}
    assert run_step(_scheduled(workspace, always), workspace).code == 1
    assert len(webhook.posts) == 1


def test_a_webhook_that_fails_is_a_warning_that_keeps_the_verdict_and_hides_the_url(workspace: Path) -> None:
    write_suite(workspace, minimum=1.0)
    hook = FakeWebhook(status=500)
    try:
        step = run_step(_scheduled(workspace, {"webhook-url": hook.url}), workspace)
    finally:
        hook.close()
    assert step.code == 1 and step.outputs()["verdict"] == "failed"
    warnings = [m for name, _, m in step.commands() if name == "warning"]
    assert any("the webhook answered HTTP 500" in m for m in warnings), warnings
    assert SECRET_PATH not in step.log.replace(f"::add-mask::{hook.url}", "")


def test_a_bad_webhook_url_is_bad_input_that_does_not_echo_it(workspace: Path) -> None:
    write_suite(workspace)
    step = run_step(_scheduled(workspace, {"webhook-url": "notaurl-XsecretWebhookToken42"}), workspace)
    assert step.code == 2
    assert "input 'webhook-url': not an http(s) URL" in step.log
    assert "XsecretWebhookToken42" not in step.log.replace("::add-mask::", "")


def test_max_cost_usd_cuts_the_run_and_the_outputs_junit_and_summary_agree(workspace: Path) -> None:
    shutil.copytree(REPO / "examples" / "quickstart", workspace / "examples" / "quickstart")
    inputs = {"suite": "examples/quickstart/suite.yml", "emulator": "true", "max-cost-usd": "0.002"}
    step = run_step(action_env(workspace, inputs), workspace)

    outputs = step.outputs()
    results = json.loads((workspace / outputs["results-path"]).read_text(encoding="utf-8"))
    assert step.code == results["verdict"]["exit_code"] == 3
    assert outputs["verdict"] == "error" and outputs["passed"] == "false"
    assert 0 < float(outputs["cost-usd"]) <= 0.002
    reason = "cost budget of $0.002 reached"
    errors = [
        r.message or ""
        for s in JUnitXml.fromfile(str(workspace / outputs["junit-path"]))
        for c in s
        for r in c.result
        if isinstance(r, Error)
    ]
    assert any(reason in e for e in errors), errors
    summary = step.summary_file.read_text(encoding="utf-8")
    assert "cut by its cost budget of $0.002" in summary


def test_cost_usd_is_set_for_a_run_without_a_budget(workspace: Path) -> None:
    write_suite(workspace)
    step = run_step(action_env(workspace, {"suite": "evals/suite.yml", "emulator": "true"}), workspace)
    assert step.code == 0
    assert float(step.outputs()["cost-usd"]) > 0
