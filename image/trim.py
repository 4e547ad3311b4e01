"""Trim the installed packages of the runtime image to what evalcore uses (run once, in the image's install step).

botocore ships the models of every AWS service (about 30 MB): keep those evalcore builds clients for and those the
credential chain needs. moto (the emulator's S3/IAM/STS/CloudWatch Logs) ships every service it mocks (about 50 MB): keep its core
and the services the emulator serves. tests/container/test_image.py proves every kept client still loads.
"""

from __future__ import annotations

import compileall
import shutil
import sys
import sysconfig
from pathlib import Path

# Clients evalcore builds (runners, agent targets, managed jobs, credentials) and the emulator's S3/IAM/STS.
BOTOCORE_SERVICES = frozenset(
    {
        "bedrock",
        "bedrock-runtime",
        "bedrock-agent",
        "bedrock-agent-runtime",
        "bedrock-agentcore",
        "logs",  # AgentCore batch evaluations' per-session results (CloudWatch Logs)
        "s3",
        "sts",
        "iam",
        "sso",
        "sso-oidc",
        "lambda",
        "sagemaker-runtime",
        "lexv2-runtime",
        "qbusiness",
    }
)
# moto's packages the emulator's S3/IAM/STS server imports (its modules at the top level all stay).
MOTO_PACKAGES = frozenset(
    {
        "core",
        "utilities",
        "moto_api",
        "moto_server",
        "s3",
        "s3bucket_path",
        "iam",
        "sts",
        "logs",
        "cloudwatch",
        "events",
    }
)


def trim(site: Path) -> int:
    """Delete what is not kept under `site`; returns the bytes freed."""
    data = site / "botocore" / "data"
    doomed = [d for d in data.iterdir() if d.is_dir() and d.name not in BOTOCORE_SERVICES]
    doomed += [f for name in sorted(BOTOCORE_SERVICES) for f in data.glob(f"{name}/*/examples-1.json")]
    moto = site / "moto"
    if moto.is_dir():
        doomed += [d for d in moto.iterdir() if d.is_dir() and d.name not in MOTO_PACKAGES | {"__pycache__"}]
    freed = 0
    for path in doomed:
        if path.is_dir():
            freed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
        else:
            freed += path.stat().st_size
            path.unlink()
    return freed


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else sysconfig.get_paths()["purelib"])
    print(f"trimmed {trim(site) / 1e6:.1f} MB from {site}")
    if not compileall.compile_dir(site, quiet=1, workers=0):
        sys.exit("compiling the installed packages failed")
