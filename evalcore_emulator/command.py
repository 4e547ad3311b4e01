"""``evalcore emulator``: run the emulator (and moto's S3/IAM/STS) until SIGINT or SIGTERM.

Prints the endpoint and the ``export AWS_ENDPOINT_URL_...`` lines a shell needs to point SDKs at it.
A world file that does not validate is reported as one line, ``world.yml:LINE: field: problem``, exit status 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from evalcore_emulator.launcher import Emulator
from evalcore_emulator.world import WorldError, load_world


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="evalcore emulator", description="Run a local, wire-compatible Amazon Bedrock on 127.0.0.1."
    )
    parse.add_argument("--world", type=Path, help="world file (YAML); the shipped default world when omitted")
    parse.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    parse.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parse.add_argument("--request-log", type=Path, help="append every call to this JSONL file")
    parse.add_argument("--no-s3", action="store_true", help="do not start moto's S3/IAM/STS server")
    return parse


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        world = load_world(args.world)
    except WorldError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        emulator = Emulator(world, s3=not args.no_s3, host=args.host, port=args.port, request_log=args.request_log)
        emulator.start()
    except (ValueError, OSError) as exc:
        print(f"evalcore emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"evalcore emulator listening on {emulator.endpoint}", flush=True)
        if emulator.s3_endpoint:
            print(f"S3/IAM/STS (moto) on {emulator.s3_endpoint}", flush=True)
        for name, value in emulator.env().items():
            print(f"export {name}={value}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
