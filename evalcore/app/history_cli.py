"""The command line of `evalcore history` (three forms, so parsed apart from the other commands):

    evalcore history STORE [--suite NAME] [--last N] [--out DIR]     trend tables; history.md and .html in DIR
    evalcore history record DIR --store STORE                         append the run in DIR to STORE
    evalcore history check STORE --window K [--drift warn|fail]       the latest run against the K before it

STORE: a file (JSON Lines) or s3://bucket/prefix/. Exit codes: 0, 1 drift (check --drift fail), 2 bad input,
3 the store failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from evalcore.report.plain import visible

USAGE = __doc__.split("\n\n")[1]


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return value


def _min_effect(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-effect", type=float, default=0.02, help="smallest drift that counts (default 0.02)")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    show = argparse.ArgumentParser(
        prog="evalcore history",
        description="Runs across time: a trend table per metric, model id and suite changes marked.",
        epilog=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("store", help="a history file (JSON Lines) or s3://bucket/prefix/")
    show.add_argument("--suite", help="only this suite's runs")
    show.add_argument("--last", type=positive, metavar="N", help="only the newest N runs")
    show.add_argument("--out", type=Path, metavar="DIR", help="also write history.md and history.html to DIR")

    record = argparse.ArgumentParser(
        prog="evalcore history record", description="Append the run in a results directory to a history store."
    )
    record.add_argument("dir", type=Path, help="a results directory (results.json and results.jsonl)")
    record.add_argument("--store", required=True, help="a history file (JSON Lines) or s3://bucket/prefix/")

    check = argparse.ArgumentParser(
        prog="evalcore history check",
        description="Drift: the latest run against the K runs before it, items paired as in the PR comparison "
        "(paired tests, 5%% false discovery rate, --min-effect).",
    )
    check.add_argument("store", help="a history file (JSON Lines) or s3://bucket/prefix/")
    check.add_argument("--window", type=positive, required=True, metavar="K", help="earlier runs compared with")
    check.add_argument("--suite", help="the suite (default: the suite of the newest run)")
    check.add_argument(
        "--drift", choices=["warn", "fail"], default="fail", help="fail (exit 1, default) or only warn on drift"
    )
    _min_effect(check)
    return {"show": show, "record": record, "check": check}


def history_main(args: Sequence[str]) -> int:
    from evalcore.app.history_command import check, open_store, record_run, show
    from evalcore.app.history_store import HistoryError

    form = args[0] if args and args[0] in ("record", "check") else "show"
    ns = _parsers()[form].parse_args(list(args[1:] if form != "show" else args))
    try:
        if form == "record":
            print(record_run(ns.dir, open_store(ns.store)))
            return 0
        if form == "check":
            outcome = check(open_store(ns.store), ns.suite, ns.window, ns.drift, ns.min_effect)
            for line in outcome.lines:
                print(visible(line), file=sys.stderr)
            if outcome.exit_code:
                print(visible(outcome.findings[0]))
            return outcome.exit_code
        for path in show(open_store(ns.store), ns.suite, ns.last, ns.out):
            print(path)
        return 0
    except HistoryError as exc:
        print(visible(f"evalcore history: {exc}"), file=sys.stderr)
        return exc.exit_code
