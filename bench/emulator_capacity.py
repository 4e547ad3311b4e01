"""How much the emulator serves: Converse requests per second at zero latency, and concurrent connections held at a
fixed latency. The emulator runs in its own process (as ``evalcore emulator``) so clients do not share its GIL.

    .venv/bin/python bench/emulator_capacity.py [--seconds 5] [--processes 2] [--threads 8] [--latency-ms 200]

Prints a summary and writes bench/out/emulator_capacity.json.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]
CONVERSE_PATH = f"/model/{MODEL.replace(':', '%3A')}/converse"
OUT = Path(__file__).parent / "out" / "emulator_capacity.json"


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "evalcore_emulator.command", "--port", "0", "--no-s3"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    endpoint = process.stdout.readline().rsplit(" ", 1)[-1].strip()
    return process, endpoint


def admin(endpoint: str, method: str, name: str, body: bytes | None = None) -> Any:
    request = urllib.request.Request(f"{endpoint}/_emulator/{name}", data=body, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def boto3_worker(endpoint: str, threads: int, seconds: float, counts: Any) -> None:
    """One client process: ``threads`` threads sharing one boto3 client, calling Converse until time is up."""
    client = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1").client(
        "bedrock-runtime",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=threads, retries={"max_attempts": 0}),
    )
    client.converse(modelId=MODEL, messages=MESSAGES)
    deadline = time.perf_counter() + seconds
    done = [0] * threads

    def loop(index: int) -> None:
        while time.perf_counter() < deadline:
            client.converse(modelId=MODEL, messages=MESSAGES)
            done[index] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counts.put(sum(done))


def raw_worker(endpoint: str, threads: int, seconds: float, counts: Any) -> None:
    """One client process: ``threads`` keep-alive connections with http.client, no SDK cost."""
    host, port = urlsplit(endpoint).hostname, urlsplit(endpoint).port
    body = json.dumps({"messages": MESSAGES}).encode()
    deadline = time.perf_counter() + seconds
    done = [0] * threads

    def loop(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while time.perf_counter() < deadline:
            connection.request("POST", CONVERSE_PATH, body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            done[index] += 1
        connection.close()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counts.put(sum(done))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(worker: Any, endpoint: str, processes: int, threads: int, seconds: float) -> float:
    admin(endpoint, "DELETE", "requests")
    counts: Any = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=worker, args=(endpoint, threads, seconds, counts)) for _ in range(processes)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    total = sum(counts.get() for _ in clients)
    for client in clients:
        client.join()
    return total / (time.perf_counter() - started)


def concurrency(endpoint: str, connections: int, latency_ms: float) -> dict[str, float]:
    """Open ``connections`` connections first, then send one Converse on each at once; each takes ``latency_ms``.

    The client is one asyncio loop (no client threads to contend with the server for the CPU). All connections are
    open at the same time, so every request answered proves one connection held concurrently; the response times
    show what holding them costs (the ideal is ``latency_ms`` for all).
    """
    return asyncio.run(_concurrency(endpoint, connections, latency_ms))


async def _concurrency(endpoint: str, connections: int, latency_ms: float) -> dict[str, float]:
    host, port = urlsplit(endpoint).hostname, urlsplit(endpoint).port
    body = json.dumps({"messages": MESSAGES}).encode()
    head = f"POST {CONVERSE_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    streams = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(connections)))

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float | None:
        started = time.perf_counter()
        try:
            writer.write(request)
            await writer.drain()
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in status_and_headers.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, StopIteration):
            return None
        finally:
            writer.close()
        return time.perf_counter() - started if status_and_headers.startswith(b"HTTP/1.1 200") else None

    results = await asyncio.gather(*(one(reader, writer) for reader, writer in streams))
    seconds = sorted(r for r in results if r is not None)

    def at(share: float) -> float:
        return round(seconds[min(len(seconds) - 1, int(share * len(seconds)))] * 1000, 1) if seconds else 0.0

    return {
        "connections": connections,
        "latency_ms": latency_ms,
        "answered": len(seconds),
        "failures": connections - len(seconds),
        "p50_ms": at(0.5),
        "p90_ms": at(0.9),
        "max_ms": at(1.0),
    }


def main(argv: list[str]) -> int:
    parse = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parse.add_argument("--seconds", type=float, default=5.0)
    parse.add_argument("--processes", type=int, default=2)
    parse.add_argument("--threads", type=int, default=8)
    parse.add_argument("--latency-ms", type=float, default=200.0)
    parse.add_argument("--connections", type=int, nargs="+", default=[50, 200, 500, 1000])
    args = parse.parse_args(argv)

    process, endpoint = start_emulator()
    try:
        boto3_rps = throughput(boto3_worker, endpoint, args.processes, args.threads, args.seconds)
        cpu_before = cpu_seconds(process.pid)
        raw_rps = throughput(raw_worker, endpoint, args.processes, args.threads, args.seconds)
        cpu_after = cpu_seconds(process.pid)
        served = len(admin(endpoint, "GET", "requests")["requests"])
        cpu_ms = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000 / served
        world = {
            "models": {MODEL: {}},
            "faults": [{"kind": "latency", "operation": "Converse", "latency_ms": args.latency_ms}],
        }
        admin(endpoint, "PUT", "world", json.dumps(world).encode())
        held = [concurrency(endpoint, n, args.latency_ms) for n in args.connections]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "client_processes": args.processes,
        "threads_per_process": args.threads,
        "converse_rps_boto3_clients": round(boto3_rps, 1),
        "converse_rps_raw_http_clients": round(raw_rps, 1),
        "server_cpu_ms_per_converse": None if cpu_ms is None else round(cpu_ms, 3),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "concurrency_at_latency": held,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Converse at zero latency: {boto3_rps:.0f} req/s with boto3 clients, {raw_rps:.0f} req/s with raw HTTP")
    if cpu_ms is not None:
        print(f"server CPU per Converse: {cpu_ms:.3f} ms (about {1000 / cpu_ms:.0f} req/s per core)")
    for row in held:
        print(
            f"{row['connections']} open connections at {row['latency_ms']:.0f} ms: {row['answered']} answered,"
            f" {row['failures']} failures; p50 {row['p50_ms']} ms, p90 {row['p90_ms']} ms, max {row['max_ms']} ms"
        )
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
