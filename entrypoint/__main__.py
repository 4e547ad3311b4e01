"""`python -m entrypoint`: with arguments (`docker run IMAGE run suite.yml`, `... --version`) the evalcore
command runs them; without, the container is a GitHub Action step and the adapter reads its `INPUT_*` variables.
Imports wait for the branch taken, so `--version` answers at once."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv:
        from evalcore.cli import main as command

        return command(argv)
    from entrypoint.action import main as action

    return action()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
