"""Bad inputs for the Action and the command, each built in a fresh workspace: what the user gives (Action
inputs, or the command's arguments) and the one line of error it must get."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SUITE = """\
version: 1
name: bad-input
models:
  haiku: anthropic.claude-3-haiku-20240307-v1:0
evaluations:
  - name: qa
    dataset: {dataset}
    models: [haiku]
    metrics: [token_f1]
"""
GOOD_ROW = '{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n'
MB = 1024 * 1024


@dataclass(frozen=True)
class Bad:
    """One bad input: `inputs` for the Action (INPUT_*) or `args` for `evalcore run`; `setup` writes the
    workspace's files (default: a good suite and dataset); `expected`: the error line, `{ws}` the workspace."""

    name: str
    expected: str
    inputs: dict[str, str] | None = None
    args: list[str] | None = None
    setup: Callable[[Path, Path], None] | None = None  # (workspace, outside: a folder beside it)
    files: dict[str, bytes | str] = field(default_factory=dict)


def good(ws: Path, dataset: str = "data.jsonl") -> None:
    (ws / "evals").mkdir(exist_ok=True)
    (ws / "evals" / "suite.yml").write_text(SUITE.format(dataset=dataset), encoding="utf-8")
    (ws / "evals" / "data.jsonl").write_text(GOOD_ROW, encoding="utf-8")


def with_suite(text: str | bytes) -> Callable[[Path, Path], None]:
    def setup(ws: Path, outside: Path) -> None:
        good(ws)
        path = ws / "evals" / "suite.yml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return setup


def with_dataset(data: str | bytes, name: str = "data.jsonl") -> Callable[[Path, Path], None]:
    def setup(ws: Path, outside: Path) -> None:
        good(ws, name)
        (ws / "evals" / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return setup


def suite_link_outside(ws: Path, outside: Path) -> None:
    good(ws)
    (outside / "suite.yml").write_text(SUITE.format(dataset="data.jsonl"), encoding="utf-8")
    (ws / "evals" / "linked.yml").symlink_to(outside / "suite.yml")


def dataset_link_outside(ws: Path, outside: Path) -> None:
    good(ws)
    (outside / "secret.jsonl").write_text('{"prompt": "the host\'s secret"}\n', encoding="utf-8")
    (ws / "evals" / "data.jsonl").unlink()
    (ws / "evals" / "data.jsonl").symlink_to(outside / "secret.jsonl")


def dataset_outside_by_path(ws: Path, outside: Path) -> None:
    good(ws, "../../outside/secret.jsonl")
    (outside / "secret.jsonl").write_text('{"prompt": "the host\'s secret"}\n', encoding="utf-8")


def out_dir_link_outside(ws: Path, outside: Path) -> None:
    good(ws)
    (ws / "results").symlink_to(outside, target_is_directory=True)


def out_dir_is_a_file(ws: Path, outside: Path) -> None:
    good(ws)
    (ws / "results").write_text("not a folder", encoding="utf-8")


def nested(depth: int) -> str:
    return SUITE.format(dataset="data.jsonl") + "extra: " + "[" * depth + "]" * depth + "\n"


BILLION_LAUGHS = (
    "version: 1\nname: lol\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + "evaluations: *i\n"
)
HUGE_PROMPT = json.dumps({"prompt": "x" * (10 * MB), "referenceResponse": "4"}) + "\n"

CASES: list[Bad] = [
    # ---- Action inputs ----
    Bad(
        "suite_empty",
        "::error title=evalcore%3A invalid input::input 'suite': required: the path of the suite file in the repository (e.g. evals/suite.yml)",
        inputs={"suite": ""},
    ),
    Bad(
        "suite_missing_file",
        "::error title=evalcore%3A invalid input::input 'suite': 'evals/nope.yml': no such file in the workspace ({ws})",
        inputs={"suite": "evals/nope.yml"},
    ),
    Bad(
        "suite_is_a_directory",
        "::error title=evalcore%3A invalid input::input 'suite': 'evals' is a directory (give the path of the suite file)",
        inputs={"suite": "evals"},
    ),
    Bad(
        "suite_absolute_outside",
        "::error title=evalcore%3A invalid input::input 'suite': '/etc/passwd' is outside the workspace ({ws})",
        inputs={"suite": "/etc/passwd"},
    ),
    Bad(
        "suite_climbs_out",
        "::error title=evalcore%3A invalid input::input 'suite': '../../../../etc/passwd' is outside the workspace ({ws})",
        inputs={"suite": "../../../../etc/passwd"},
    ),
    Bad(
        "suite_symlink_outside",
        "::error title=evalcore%3A invalid input::input 'suite': 'evals/linked.yml' leads outside the workspace ({ws}) through a symbolic link",
        inputs={"suite": "evals/linked.yml"},
        setup=suite_link_outside,
    ),
    Bad(
        "out_dir_climbs_out",
        "::error title=evalcore%3A invalid input::input 'out-dir': '../escaped' is outside the workspace ({ws})",
        inputs={"out-dir": "../escaped"},
    ),
    Bad(
        "out_dir_symlink_outside",
        "::error title=evalcore%3A invalid input::input 'out-dir': 'results' leads outside the workspace ({ws}) through a symbolic link",
        inputs={"out-dir": "results"},
        setup=out_dir_link_outside,
    ),
    Bad(
        "out_dir_is_a_file",
        "::error title=evalcore%3A invalid input::input 'out-dir': 'results' is a file, not a directory",
        inputs={"out-dir": "results"},
        setup=out_dir_is_a_file,
    ),
    Bad(
        "cache_dir_absolute_outside",
        "::error title=evalcore%3A invalid input::input 'cache-dir': '/tmp/evalcore-cache' is outside the workspace ({ws})",
        inputs={"cache-dir": "/tmp/evalcore-cache"},
    ),
    Bad(
        "concurrency_zero",
        "::error title=evalcore%3A invalid input::input 'concurrency': 0 is out of range (1 to 1024)",
        inputs={"concurrency": "0"},
    ),
    Bad(
        "concurrency_absurd",
        "::error title=evalcore%3A invalid input::input 'concurrency': 10000000000000000000000000000000000000000 is out of range (1 to 1024)",
        inputs={"concurrency": "1" + "0" * 40},
    ),
    Bad(
        "concurrency_negative",
        "::error title=evalcore%3A invalid input::input 'concurrency': -8 is out of range (1 to 1024)",
        inputs={"concurrency": "-8"},
    ),
    Bad(
        "concurrency_words",
        "::error title=evalcore%3A invalid input::input 'concurrency': 'eight' is not a whole number (1 to 1024)",
        inputs={"concurrency": "eight"},
    ),
    Bad(
        "concurrency_float",
        "::error title=evalcore%3A invalid input::input 'concurrency': '2.5' is not a whole number (1 to 1024)",
        inputs={"concurrency": "2.5"},
    ),
    Bad(
        "aws_region_unknown_shape",
        "::error title=evalcore%3A invalid input::input 'aws-region': 'mars-central' is not an AWS region (e.g. us-east-1)",
        inputs={"aws-region": "mars-central"},
    ),
    Bad(
        "endpoint_url_file_scheme",
        "::error title=evalcore%3A invalid input::input 'endpoint-url': not an http(s) URL (e.g. https://bedrock-runtime.us-east-1.amazonaws.com)",
        inputs={"endpoint-url": "file:///etc/passwd"},
    ),
    Bad(
        "comment_typo",
        "::error title=evalcore%3A invalid input::input 'comment': 'sometimes' is not one of auto, always, never, changes, failures",
        inputs={"comment": "sometimes"},
    ),
    Bad(
        "fail_on_typo",
        "::error title=evalcore%3A invalid input::input 'fail-on': 'warnings' is not one of threshold, error, never",
        inputs={"fail-on": "warnings"},
    ),
    Bad(
        "emulator_not_a_boolean",
        "::error title=evalcore%3A invalid input::input 'emulator': 'perhaps' is not true or false",
        inputs={"emulator": "perhaps"},
    ),
    Bad(
        "shard_index_above_total",
        "::error title=evalcore%3A invalid input::input 'shard': '3/2' is not a shard: i/n with 1 <= i <= n, e.g. 2/4",
        inputs={"shard": "3/2"},
    ),
    Bad(
        "shard_not_numbers",
        "::error title=evalcore%3A invalid input::input 'shard': 'first/last' is not a shard: i/n with 1 <= i <= n, e.g. 2/4",
        inputs={"shard": "first/last"},
    ),
    Bad(
        "thresholds_without_operator",
        "::error title=evalcore%3A invalid input::input 'thresholds': 'qa.Builtin.Correctness=0.8' is not a threshold (one per line, e.g. qa.Builtin.Correctness>=0.85)",
        inputs={"thresholds": "qa.Builtin.Correctness=0.8"},
    ),
    Bad(
        "thresholds_unknown_section",
        "::error title=evalcore%3A invalid input::input 'thresholds': 'nosuch.pass_rate>=0.5': any section has no metric 'nosuch.pass_rate' (did you mean 'pass_rate'?)",
        inputs={"thresholds": "nosuch.pass_rate>=0.5"},
    ),
    Bad(
        "models_name_with_space",
        "::error title=evalcore%3A invalid input::input 'models': 'claude haiku' is not a name or id",
        inputs={"models": "claude haiku"},
    ),
    Bad(
        "models_unknown_name",
        "::error title=evalcore%3A invalid input::input 'models': unknown model 'sonet' (a name under `models:` or a model id)",
        inputs={"models": "sonet"},
    ),
    Bad(
        "sections_unknown",
        "::error title=evalcore%3A invalid input::input 'sections': no section named 'nosuch' (sections: qa)",
        inputs={"sections": "qa,nosuch"},
    ),
    Bad(
        "baseline_unknown_scheme",
        "::error title=evalcore%3A invalid input::input 'baseline': 'ftp://example.com/results.json': give a path in the workspace, s3://bucket/prefix/ or artifact:NAME",
        inputs={"baseline": "ftp://example.com/results.json"},
    ),
    Bad(
        "merge_missing_directory",
        "::error title=evalcore%3A invalid input::input 'merge': 'shards/1': no such directory in the workspace (a shard's out-dir)",
        inputs={"merge": "shards/1\nshards/2"},
    ),
    Bad(
        "models_huge_input",
        "::error title=evalcore%3A invalid input::input 'models': unknown model 'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm...' (a name under `models:` or a model id)",
        inputs={"models": "m" * 100_000},
    ),
    Bad(
        "thresholds_with_ansi_escape",
        "::error title=evalcore%3A invalid input::input 'thresholds': 'qa.token_f1>=\\x1b[31m0.5' is not a threshold (write e.g. qa.Builtin.Correctness>=0.85 or error_rate<=0.02)",
        inputs={"thresholds": "qa.token_f1>=\x1b[31m0.5"},
    ),
    # ---- suites, datasets and plans ----
    Bad(
        "suite_binary",
        "::error file=evals/suite.yml,line=2,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:2:118: not UTF-8 text (byte 0x80); save the file as UTF-8",
        inputs={},
        setup=with_suite(bytes(range(256)) * 64),
    ),
    Bad(
        "suite_utf16_with_bom",
        "::error file=evals/suite.yml,line=1,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:1:1: UTF-16 text (byte order mark FF FE); save the file as UTF-8",
        inputs={},
        setup=with_suite(codecs.BOM_UTF16_LE + SUITE.format(dataset="data.jsonl").encode("utf-16-le")),
    ),
    Bad(
        "suite_latin1",
        "::error file=evals/suite.yml,line=2,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:2:10: not UTF-8 text (byte 0xe9); save the file as UTF-8",
        inputs={},
        setup=with_suite(SUITE.format(dataset="data.jsonl").replace("bad-input", "café").encode("latin-1")),
    ),
    Bad(
        "suite_ten_mb_line",
        "::error file=evals/suite.yml,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml: suite file larger than 10 MiB (move data into dataset files)",
        inputs={},
        setup=with_suite(SUITE.format(dataset="data.jsonl") + "# " + "x" * (10 * MB) + "\n"),
    ),
    Bad(
        "suite_deeply_nested",
        "::error file=evals/suite.yml,line=10,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:10:107: nested more than 100 levels deep (flatten it)",
        inputs={},
        setup=with_suite(nested(100_000)),
    ),
    Bad(
        "suite_billion_laughs",
        "::error file=evals/suite.yml,line=3,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:3:50: aliases repeat more than 10,000 values (write the data out, or use fewer aliases)",
        inputs={},
        setup=with_suite(BILLION_LAUGHS),
    ),
    Bad(
        "suite_concurrency_absurd",
        "::error file=evals/suite.yml,line=10,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:10:25: defaults.concurrency: expected a whole number, got '1e300'",
        inputs={},
        setup=with_suite(SUITE.format(dataset="data.jsonl") + "defaults: {concurrency: 1e300}\n"),
    ),
    Bad(
        "dataset_utf16_with_bom",
        "::error file=evals/data.jsonl,line=1,title=evalcore%3A invalid suite::input 'suite': evals/data.jsonl:1:1: UTF-16 text (byte order mark FF FE); save the file as UTF-8",
        inputs={},
        setup=with_dataset(codecs.BOM_UTF16_LE + GOOD_ROW.encode("utf-16-le")),
    ),
    Bad(
        "dataset_latin1",
        "::error file=evals/data.jsonl,line=1,title=evalcore%3A invalid suite::input 'suite': evals/data.jsonl:1:14: not UTF-8 text (byte 0xf9); save the file as UTF-8",
        inputs={},
        setup=with_dataset('{"prompt": "Où est la café?"}\n'.encode("latin-1")),
    ),
    Bad(
        "dataset_ten_mb_prompt",
        "::error file=evals/data.jsonl,line=1,title=evalcore%3A invalid suite::input 'suite': evals/data.jsonl:1: line of 10.0 million characters: a record is at most 1 million (shorten it)",
        inputs={},
        setup=with_dataset(HUGE_PROMPT),
    ),
    Bad(
        "dataset_gzip_named_jsonl",
        "::error file=evals/data.jsonl,title=evalcore%3A invalid suite::input 'suite': evals/data.jsonl: binary file (NUL bytes); expected UTF-8 text",
        inputs={},
        setup=with_dataset(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(200)),
    ),
    Bad(
        "dataset_csv_with_nul",
        "::error file=evals/data.csv,title=evalcore%3A invalid suite::input 'suite': evals/data.csv: binary file (NUL bytes); expected UTF-8 text",
        inputs={},
        setup=with_dataset("prompt,referenceResponse\nhi\x00there,4\n", "data.csv"),
    ),
    Bad(
        "dataset_symlink_outside",
        "::error file=evals/suite.yml,line=7,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:7:14: evaluations[0].dataset: file 'data.jsonl' is outside the workspace (it or a link on its way leads out of {ws})",
        inputs={},
        setup=dataset_link_outside,
    ),
    Bad(
        "dataset_path_climbs_out",
        "::error file=evals/suite.yml,line=7,title=evalcore%3A invalid suite::input 'suite': evals/suite.yml:7:14: evaluations[0].dataset: file '../../outside/secret.jsonl' is outside the workspace (it or a link on its way leads out of {ws})",
        inputs={},
        setup=dataset_outside_by_path,
    ),
    Bad(
        "dataset_deeply_nested_json",
        "::error file=evals/data.jsonl,line=1,title=evalcore%3A invalid suite::input 'suite': evals/data.jsonl:1: JSON nested too deeply (flatten it)",
        inputs={},
        setup=with_dataset('{"prompt": "hi", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"),
    ),
    # ---- the command ----
    Bad("cli_suite_is_a_directory", "evals: is a directory (give the path of a suite file)", args=["run", "evals"]),
    Bad(
        "cli_concurrency_absurd",
        "--concurrency: 99999999999999999999 is out of range (1 to 1024)",
        args=["run", "evals/suite.yml", "--concurrency", "99999999999999999999"],
    ),
    Bad(
        "cli_shard_zero",
        "--shard: '0/0': a run has at least one shard (n >= 1)",
        args=["run", "evals/suite.yml", "--shard", "0/0"],
    ),
    Bad(
        "cli_suite_binary",
        "evals/suite.yml:1:7: not UTF-8 text (byte 0x89); save the file as UTF-8",
        args=["run", "evals/suite.yml"],
        setup=with_suite(b"\x00\x01\x02PNG\x89\r\n"),
    ),
    Bad(
        "cli_dataset_ten_mb_line",
        "evals/data.jsonl:1: line of 10.0 million characters: a record is at most 1 million (shorten it)",
        args=["run", "evals/suite.yml"],
        setup=with_dataset(HUGE_PROMPT),
    ),
    Bad(
        "cli_billion_laughs",
        "evals/suite.yml:3:50: aliases repeat more than 10,000 values (write the data out, or use fewer aliases)",
        args=["run", "evals/suite.yml"],
        setup=with_suite(BILLION_LAUGHS),
    ),
]
