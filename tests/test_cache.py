"""The response cache: content-addressed keys, TTL, size cap, concurrent writers, and the command's cache options
(through `evalcore run` against the emulator)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from evalcore.cache import ResponseCache, cache_key
from evalcore.cli import main
from evalcore.emulator import Emulator
from tests.direct_suite import records, use_emulator, write_suite


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.json"))


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_keys_depend_on_every_part_and_not_on_dict_order() -> None:
    request = {"modelId": "m", "messages": [{"role": "user", "content": [{"text": "hi"}]}], "system": [{"text": "s"}]}
    reordered = dict(reversed(list(request.items())))

    assert cache_key("m", request) == cache_key("m", reordered)
    assert cache_key("m", request) != cache_key("other", request)
    assert cache_key("m", request) != cache_key("m", {**request, "inferenceConfig": {"temperature": 0.5}})


def test_a_stored_response_comes_back_and_a_missing_or_torn_one_is_a_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put("ab" + "0" * 62, {"output": "x", "n": [1, 2]})
    cache.flush()

    assert ResponseCache(tmp_path).get("ab" + "0" * 62) == {"output": "x", "n": [1, 2]}  # from disk
    assert cache.get("cd" + "0" * 62) is None
    (torn,) = entries(tmp_path)
    torn.write_text('{"output": "x", "n": [1,')
    assert cache.get("ab" + "0" * 62) is None


def test_entries_older_than_the_ttl_are_misses_and_pruned(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, ttl_seconds=3600)
    cache.put("aa" + "1" * 62, "old")
    cache.put("bb" + "2" * 62, "new")
    cache.flush()
    age(tmp_path / "aa" / ("aa" + "1" * 62 + ".json"), 7200)

    assert cache.get("aa" + "1" * 62) is None and cache.get("bb" + "2" * 62) == "new"
    assert cache.prune() == 1
    assert [p.stem[:2] for p in entries(tmp_path)] == ["bb"]


def test_the_size_cap_removes_the_oldest_entries_first(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, max_bytes=2500)
    for i in range(5):
        key = f"{i:02d}" + "f" * 62
        cache.put(key, "x" * 1000)
        cache.flush()
        age(tmp_path / key[:2] / f"{key}.json", 100 - i)  # entry 0 is the oldest

    removed = cache.prune()

    assert removed == 3
    assert [p.name[:2] for p in entries(tmp_path)] == ["03", "04"]


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    other = ResponseCache(tmp_path)  # another process's view: disk only
    key = "ee" + "3" * 62
    values = [{"writer": i, "text": str(i) * 5000} for i in range(8)]
    seen: list[object] = []
    stop = threading.Event()

    def write(value: dict[str, object]) -> None:
        for _ in range(50):
            cache.put(key, value)
            cache.flush()

    def read() -> None:
        while not stop.is_set():
            seen.append(other.get(key))

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
    assert cache.get(key) in values
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


@pytest.mark.parametrize("value", ["soon", "-5", "0"])
def test_a_bad_cache_ttl_is_bad_input(suite: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", str(suite), "--cache-ttl", value])

    assert exited.value.code == 2
    assert "duration" in capsys.readouterr().err


def test_an_entry_is_readable_at_once_and_on_disk_after_flush(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    keys = [f"{i:02x}" + "4" * 62 for i in range(50)]

    for i, key in enumerate(keys):
        cache.put(key, {"n": i})
        assert cache.get(key) == {"n": i}  # before the writer got to it, or after
    cache.put(keys[0], {"n": "latest"})
    cache.flush()

    on_disk = ResponseCache(tmp_path)
    assert [on_disk.get(k) for k in keys[1:]] == [{"n": i} for i in range(1, 50)]
    assert on_disk.get(keys[0]) == {"n": "latest"}
    assert not list(tmp_path.glob("*/.tmp-*"))


def test_a_cache_that_cannot_write_only_misses(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    (tmp_path / "ab").write_text("a file where the shard folder would go")

    cache.put("ab" + "5" * 62, {"n": 1})
    cache.flush()  # returns: a failed write does not stay pending

    assert ResponseCache(tmp_path).get("ab" + "5" * 62) is None
    cache.put("cd" + "5" * 62, {"n": 2})  # the writer is still alive
    cache.flush()
    assert ResponseCache(tmp_path).get("cd" + "5" * 62) == {"n": 2}
