"""The response cache: content-addressed keys, TTL, size cap, concurrent writers, and the command's cache options
(through `evalcore run` against the emulator)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from evalcore.app.cli import main
from evalcore.engine.cache import CacheKey, Endpoint, ResponseCache
from evalcore_emulator import Emulator
from tests.direct_suite import records, use_emulator, write_suite


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.json"))


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


HERE = Endpoint("aws", "us-east-1", "https://bedrock-runtime.us-east-1.amazonaws.com")


def asked(n: int = 0, **changes: Any) -> CacheKey:
    """A question the cache can be asked (the n-th of a set of different ones)."""
    request = {"modelId": "m", "messages": [{"role": "user", "content": [{"text": f"question {n}"}]}]}
    return replace(CacheKey(HERE, "answer", None, "m", request, 0), **changes)


def path_of(cache: ResponseCache, question: CacheKey) -> Path:
    key = cache.key(question)
    return cache.directory / key[:2] / f"{key}.json"


def test_keys_depend_on_every_part_and_not_on_dict_order(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    request = {
        "modelId": "m",
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "system": [{"text": "s"}],
        "inferenceConfig": {"temperature": 0.9},
        "toolConfig": {"tools": []},
        "guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
        "additionalModelRequestFields": {"top_k": 5},
    }
    base = asked(request=request)
    reordered = asked(request=dict(reversed(list(request.items()))))
    variants = [
        replace(base, endpoint=Endpoint("aws-cn", "us-east-1", HERE.url)),
        replace(base, endpoint=Endpoint("aws", "us-west-2", HERE.url)),
        replace(base, endpoint=Endpoint("aws", "us-east-1", "http://127.0.0.1:5000")),
        replace(base, purpose="judge"),
        replace(base, protocol="v2"),
        replace(base, model_id="other"),
        replace(base, repeat=1),
        *(asked(request={k: v for k, v in request.items() if k != part}) for part in request if part != "modelId"),
        asked(request={**request, "inferenceConfig": {"temperature": 0.5}}),
    ]

    assert cache.key(base) == cache.key(reordered)
    keys = {cache.key(v) for v in variants}
    assert len(keys) == len(variants) and cache.key(base) not in keys


def test_an_endpoint_is_named_without_its_userinfo(tmp_path: Path) -> None:
    with_password = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url="http://user:pass@127.0.0.1:5000/",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )

    assert Endpoint.of(with_password) == Endpoint("aws", "us-east-1", "http://127.0.0.1:5000")


def test_the_emulator_world_stands_for_the_emulator_url(tmp_path: Path) -> None:
    at_emulator = asked(endpoint=Endpoint("aws", "us-east-1", "http://127.0.0.1:5000"))
    world_a = ResponseCache(tmp_path, emulators={"http://127.0.0.1:5000/": "a" * 64})
    world_a_elsewhere = ResponseCache(tmp_path, emulators={"http://127.0.0.1:6000": "a" * 64})
    world_b = ResponseCache(tmp_path, emulators={"http://127.0.0.1:5000": "b" * 64})
    moved = replace(at_emulator, endpoint=Endpoint("aws", "us-east-1", "http://127.0.0.1:6000"))

    assert world_a.key(at_emulator) == world_a_elsewhere.key(moved)  # a new port each run: the world counts
    assert world_a.key(at_emulator) != world_b.key(at_emulator)
    assert world_a.key(at_emulator) != ResponseCache(tmp_path).key(at_emulator)  # not the same URL's answers


def test_a_stored_response_comes_back_and_a_missing_or_torn_one_is_a_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put(asked(0), {"output": "x", "n": [1, 2]})
    cache.flush()

    assert ResponseCache(tmp_path).get(asked(0)) == {"output": "x", "n": [1, 2]}  # from disk
    assert cache.get(asked(1)) is None
    (torn,) = entries(tmp_path)
    torn.write_text(torn.read_text()[:-5])
    assert cache.get(asked(0)) is None
    assert cache.dropped == 1 and not torn.exists()


def test_entries_older_than_the_ttl_are_misses_and_pruned(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, ttl_seconds=3600)
    cache.put(asked(1), {"text": "old"})
    cache.put(asked(2), {"text": "new"})
    cache.flush()
    age(path_of(cache, asked(1)), 7200)

    assert cache.get(asked(1)) is None and cache.get(asked(2)) == {"text": "new"}
    assert cache.prune() == 1
    assert entries(tmp_path) == [path_of(cache, asked(2))]
    assert cache.dropped == 0  # expired is not bad


def test_the_size_cap_removes_the_oldest_entries_first(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, max_bytes=2 * 1300)
    for i in range(5):
        cache.put(asked(i), {"text": "x" * 1000})
        cache.flush()
        age(path_of(cache, asked(i)), 100 - i)  # entry 0 is the oldest

    removed = cache.prune()

    assert removed == 3
    assert entries(tmp_path) == sorted([path_of(cache, asked(3)), path_of(cache, asked(4))])


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    other = ResponseCache(tmp_path)  # another process's view: disk only
    question = asked(3)
    values = [{"writer": i, "text": str(i) * 5000} for i in range(8)]
    seen: list[object] = []
    stop = threading.Event()

    def write(value: dict[str, object]) -> None:
        for _ in range(50):
            cache.put(question, value)
            cache.flush()

    def read() -> None:
        while not stop.is_set():
            seen.append(other.get(question))

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(v,)) for v in values]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    cache.flush()

    assert all(v is None or v in values for v in seen)
    assert cache.get(question) in values
    assert other.dropped == 0  # a reader never sees half an entry
    assert not list(tmp_path.glob("*/.tmp-*"))  # no temporary file left behind


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Path:
    use_emulator(monkeypatch, emulator)
    return write_suite(tmp_path / "suite", rows=records(4), models={"haiku": "anthropic.claude-3-haiku-20240307-v1:0"})


def test_cache_ttl_on_the_command_line_makes_old_entries_misses(
    emulator: Emulator, suite: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    args = ["run", str(suite), "--out", str(tmp_path / "out"), "--cache-dir", str(cache), "--quiet"]
    assert main(args) == 0
    for path in entries(cache):
        age(path, 2 * 86400)
    emulator.clear_requests()

    assert main([*args, "--cache-ttl", "1d"]) == 0

    assert len(emulator.requests("Converse")) == 4  # every entry had expired
    assert all(time.time() - p.stat().st_mtime < 600 for p in entries(cache))  # expired ones pruned, new ones kept
    emulator.clear_requests()
    assert main([*args, "--cache-ttl", "1d"]) == 0
    assert emulator.requests("Converse") == []


def test_cache_max_mb_trims_the_cache_after_the_run(emulator: Emulator, suite: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    code = main(
        ["run", str(suite), "--out", str(tmp_path / "out"), "--cache-dir", str(cache), "--cache-max-mb", "0.0004"]
    )

    assert code == 0
    assert sum(p.stat().st_size for p in entries(cache)) <= int(0.0004 * 1024 * 1024)
    assert len(entries(cache)) < 4


@pytest.mark.parametrize("value", ["soon", "-5", "0", "nan", "inf"])
def test_a_bad_cache_ttl_is_bad_input(suite: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", str(suite), "--cache-ttl", value])

    assert exited.value.code == 2
    assert "duration" in capsys.readouterr().err


def test_an_entry_is_readable_at_once_and_on_disk_after_flush(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    questions = [asked(i) for i in range(50)]

    for i, question in enumerate(questions):
        cache.put(question, {"n": i})
        assert cache.get(question) == {"n": i}  # before the writer got to it, or after
    cache.put(questions[0], {"n": "latest"})
    cache.flush()

    on_disk = ResponseCache(tmp_path)
    assert [on_disk.get(q) for q in questions[1:]] == [{"n": i} for i in range(1, 50)]
    assert on_disk.get(questions[0]) == {"n": "latest"}
    assert not list(tmp_path.glob("*/.tmp-*"))


def test_a_cache_that_cannot_write_only_misses(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    first, second = asked(1), asked(2)
    assert cache.key(first)[:2] != cache.key(second)[:2]
    (tmp_path / cache.key(first)[:2]).write_text("a file where the shard folder would go")

    cache.put(first, {"n": 1})
    cache.flush()  # returns: a failed write does not stay pending

    assert ResponseCache(tmp_path).get(first) is None
    cache.put(second, {"n": 2})  # the writer is still alive
    cache.flush()
    assert ResponseCache(tmp_path).get(second) == {"n": 2}
