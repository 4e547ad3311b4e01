"""`python -m entrypoint`: with arguments (`docker run IMAGE run suite.yml`, `... --version`) the evalcore
command runs them; without, in a GitHub Actions step, the adapter reads its `INPUT_*` variables. Without arguments
outside a step (a bare `docker run IMAGE`) the command's help is shown. Imports wait for the branch taken, so
`--version` answers at once."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping


def is_action_step(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true" or any(name.startswith("INPUT_") for name in env)


def main(argv: list[str], env: Mapping[str, str]) -> int:
    if argv or not is_action_step(env):
        from evalcore.app.cli import main as command

        return command(argv)
    from entrypoint.action import main as action

    return action()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
