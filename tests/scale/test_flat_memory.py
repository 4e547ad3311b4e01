"""A dataset is streamed, never held: `evalcore validate` and a sharded `evalcore run --dry-run` over a dataset of
tens of megabytes peak at about what they do over a dataset of ten lines. Before, the whole dataset was held as
Python objects (about 5x its size on disk) and every planned case too (about 1 KB a case). Peak RSS of the child
process from getrusage(RUSAGE_CHILDREN), in a fresh wrapper process so no earlier child counts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evalcore_emulator import Emulator
from tests.direct_suite import records, run, use_emulator, world, write_suite

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
_PEAK_RSS = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)"
)


def _suite(folder: Path, records: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    filler = "lorem ipsum dolor sit amet " * 20  # about 540 characters a record
    with (folder / "qa.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(records):
            fh.write(json.dumps({"prompt": f"question {i}: {filler}", "referenceResponse": f"answer {i}"}) + "\n")
    suite = folder / "suite.yml"
    suite.write_text(
        "version: 1\nname: big\n"
        f"models:\n  haiku: {HAIKU}\n"
        "evaluations:\n  - name: qa\n    dataset: qa.jsonl\n    models: [haiku]\n    repeats: 2\n"
        "    metrics: [token_f1]\n",
        encoding="utf-8",
    )
    return suite


def _peak_mb(*command: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, sys.executable, "-m", "evalcore.app.cli", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kb, code = done.stdout.split()
    assert code == "0", done.stderr
    return int(peak_kb) / 1024


def test_validating_and_planning_a_large_dataset_takes_about_the_memory_of_a_small_one(tmp_path: Path) -> None:
    small = _suite(tmp_path / "small", 10)
    large = _suite(tmp_path / "large", 60_000)  # 34 MB, 120,000 cases
    assert (tmp_path / "large" / "qa.jsonl").stat().st_size > 30 * 1024**2
    for command in (["validate"], ["run", "--dry-run", "--shard", "1/1000"]):
        base = _peak_mb(command[0], str(small), *command[1:])
        peak = _peak_mb(command[0], str(large), *command[1:])
        assert peak < base + 60, f"{' '.join(command)}: {peak:.0f} MB for 34 MB of data, {base:.0f} MB for 10 lines"


def _short_records_suite(folder: Path, records: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "qa.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"prompt": f"q{i}", "referenceResponse": f"a{i}"}) + "\n" for i in range(records))
    suite = folder / "suite.yml"
    suite.write_text(
        "version: 1\nname: many\n"
        f"models:\n  haiku: {HAIKU}\n"
        "evaluations:\n  - name: qa\n    dataset: qa.jsonl\n    models: [haiku]\n    metrics: [token_f1]\n",
        encoding="utf-8",
    )
    return suite


def test_validating_many_short_records_takes_about_the_memory_of_a_few(tmp_path: Path) -> None:
    """Planning counts each item key's occurrences (to tell identical items apart) in 16-32 bytes a record: 400,000
    records of a few characters each (9 MB) are validated in about the memory of ten. Before, a dict of the keys
    as strings took about 110 bytes a record: about 42 MB more here."""
    base = _peak_mb("validate", str(_short_records_suite(tmp_path / "few", 10)))
    peak = _peak_mb("validate", str(_short_records_suite(tmp_path / "many", 400_000)))
    assert peak < base + 25, f"validate: {peak:.0f} MB for 400,000 records, {base:.0f} MB for 10"


def _batch_suite(folder: Path, records: int, bucket: str) -> Path:
    suite = _suite(folder, records)
    suite.write_text(
        "version: 1\nname: big\n"
        f"models:\n  haiku: {HAIKU}\n"
        "evaluations:\n  - name: qa\n    dataset: qa.jsonl\n    models: [haiku]\n    metrics: [token_f1]\n"
        "    mode: batch\n    batch:\n      role_arn: arn:aws:iam::123456789012:role/batch\n"
        f"      s3_uri: s3://{bucket}/batch\n      poll_seconds: 0.2\n      min_records: 5\n",
        encoding="utf-8",
    )
    return suite


def test_a_batch_section_and_its_dry_run_take_about_the_memory_of_a_small_one(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A batch section writes its records as its cases come, keeps its cases on disk while the job runs and reads
    the job's output line by line; `--dry-run` prints each job's request as it is made. Before, every case, every
    record and every output line of the section were held at once: 20,000 cases added 47 MB to the dry run and
    160 MB to the run (now about 6 and 76: the run's own bookkeeping of results, as in a direct run)."""
    emulator.set_world(world(buckets=["big"], jobs={"duration_seconds": 0.05, "batch_min_records": 5}))
    use_emulator(monkeypatch, emulator)
    small = _batch_suite(tmp_path / "small", 10, "big")
    large = _batch_suite(tmp_path / "large", 20_000, "big")  # 11 MB, 20,000 cases in one job
    for command, allowed in ((["run", "--dry-run"], 25), (["run", "--no-cache", "--out"], 110)):
        peaks = []
        for suite in (small, large):
            out = [str(suite.parent / "out")] if command[-1] == "--out" else []
            peaks.append(_peak_mb(command[0], str(suite), *command[1:], *out))
        base, peak = peaks
        assert peak < base + allowed, f"{' '.join(command)}: {peak:.0f} MB for 20,000 cases, {base:.0f} MB for 10"


def _results_dir(template: Path, folder: Path, cases: int) -> Path:
    """A results directory of `cases` results, each its own item (distinct ids, keys and dataset lines), made from
    a real run's results.json and first result."""
    folder.mkdir(parents=True)
    shutil.copy(template / "results.json", folder / "results.json")
    first = json.loads((template / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    with (folder / "results.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(cases):
            status = ("pass", "fail", "error")[i % 3]
            line = {**first, "case_id": f"{i:016x}", "item_key": f"{i:016x}", "status": status}
            line["source"] = f"qa.jsonl:{i + 1}"
            fh.write(json.dumps(line) + "\n")
    return folder


def test_reports_of_a_large_run_take_about_the_memory_of_a_small_one(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`evalcore report` (the end of every run and merge) over 40,000 results peaks at about what it does over
    2,000: the reports' case index and the HTML page's choice of cases are kept on disk, not as objects per case.
    Before, each case cost about 3 KB of Python objects (the index's entries, and the page's grouping of every
    item to pick the 5,000 it draws): about 110 MB more for 40,000 cases."""
    use_emulator(monkeypatch, emulator)
    template = tmp_path / "template"
    run(write_suite(tmp_path / "suite", rows=records(3)), template)
    small = _results_dir(template, tmp_path / "small", 2_000)
    large = _results_dir(template, tmp_path / "large", 40_000)
    base = _peak_mb("report", str(small))
    peak = _peak_mb("report", str(large))
    assert peak < base + 25, f"report: {peak:.0f} MB for 40,000 results, {base:.0f} MB for 2,000"


def _shard_of(template: Path, folder: Path, items: int) -> Path:
    """A one-shard run of a suite of `items` questions (each its own item, one model), its results made from a real
    run's first result with the plan's own case ids, item keys and fingerprints: what `evalcore merge` reads."""
    from evalcore.domain.plan import build_plan
    from evalcore.suite.load import load_suite

    rows = [
        {"prompt": f"question {i}", "referenceResponse": f"answer {i}", "category": f"c{i % 7}"} for i in range(items)
    ]
    suite = write_suite(folder / "suite", models={"haiku": HAIKU}, rows=rows)
    loaded = load_suite(suite)
    run_file = json.loads((template / "results.json").read_text(encoding="utf-8"))
    run_file["run"] |= {"suite_path": str(suite), "suite_hash": loaded.content_hash, "shard": "1/1"}
    shard = folder / "shard"
    shard.mkdir()
    (shard / "results.json").write_text(json.dumps(run_file), encoding="utf-8")
    first = json.loads((template / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    with (shard / "results.jsonl").open("w", encoding="utf-8") as fh:
        for n, case in enumerate(build_plan(loaded).cases):
            line = {**first, "case_id": case.id, "item_key": case.item_key, "fingerprint": case.fingerprint}
            line |= {"status": ("pass", "fail", "error")[n % 3], "source": f"qa.jsonl:{n + 1}", "category": f"c{n % 7}"}
            line["metrics"] = [{"name": "token_f1", "value": (n % 10) / 10}, {"name": "contains", "value": n % 2}]
            fh.write(json.dumps(line) + "\n")
    return shard


def test_the_end_of_a_large_run_takes_about_the_memory_of_a_small_one(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`evalcore merge` of one shard (the end of every run: each case's last result, the aggregation, the reports)
    over 40,000 results peaks at about what it does over 6,000. Each item's figures are kept in a temporary SQLite
    database and each case's last result by its place among the planned ids. Before, the aggregation held about
    1.1 KB of Python objects an item and the last results' dict about 0.25 KB a case: 40-50 MB more here."""
    use_emulator(monkeypatch, emulator)
    template = tmp_path / "template"
    run(write_suite(tmp_path / "tiny", models={"haiku": HAIKU}, rows=records(3)), template)
    peaks = []
    for items in (6_000, 40_000):  # both above the 5,000 cases the HTML page draws
        shard = _shard_of(template, tmp_path / str(items), items)
        peaks.append(_peak_mb("merge", str(shard), "--out", str(tmp_path / f"merged{items}")))
        merged = json.loads((tmp_path / f"merged{items}" / "results.json").read_text(encoding="utf-8"))
        assert sum(merged["sections"][0]["models"][0]["counts"].values()) == items
    base, peak = peaks
    assert peak < base + 20, f"merge: {peak:.0f} MB for 40,000 results, {base:.0f} MB for 6,000"


def _repeats_dir(folder: Path, cases: int) -> Path:
    """A results.jsonl of `cases` tries of one item (distinct case ids), short lines."""
    folder.mkdir(parents=True)
    with (folder / "results.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(cases):
            line = {"case_id": f"{i * 7919:016x}", "section": "qa", "model": "m", "kind": "evaluation"}
            line |= {"item_key": "k", "repeat": i, "status": ("pass", "fail")[i % 2]}
            fh.write(json.dumps(line) + "\n")
    return folder


def test_reading_each_cases_last_result_of_a_large_file_takes_about_the_memory_of_a_small_one(tmp_path: Path) -> None:
    """Readers of a finished run's results (`evalcore power`, history, the PR comparison) find each case's last
    result by its place among the file's own ids (24 bytes a line): `evalcore power` over 200,000 tries of one
    item peaks at about what it does over 2,000. Before, a dict of the case ids as strings and a set of line
    numbers took about 180 bytes a line: about 35 MB more here."""
    base = _peak_mb("power", str(_repeats_dir(tmp_path / "small", 2_000)))
    peak = _peak_mb("power", str(_repeats_dir(tmp_path / "large", 200_000)))
    assert peak < base + 20, f"power: {peak:.0f} MB for 200,000 results, {base:.0f} MB for 2,000"
