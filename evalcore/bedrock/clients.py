"""boto3 session and clients: built once per service, shared by every thread, pool sized to the concurrency.

Model calls are retried by evalcore's scheduler (adaptive concurrency, backoff, one place that counts), so their
clients have botocore's retries turned off: two retry layers would multiply. Control-plane clients (jobs, S3) keep
botocore's standard retries.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evalcore.text.secrets import without_userinfo

if TYPE_CHECKING:
    import boto3

# Every service evalcore builds a client for (runners, agent targets, managed jobs): `client` refuses any other, and
# image/trim.py keeps the botocore models of each (tests/container/test_image_recipe.py).
SERVICES = frozenset(
    {
        "bedrock",
        "bedrock-runtime",
        "bedrock-agent-runtime",
        "bedrock-agentcore",
        "s3",
        "logs",  # CloudWatch Logs: where AgentCore batch evaluations write their per-session results
        "lambda",
        "sagemaker-runtime",
        "lexv2-runtime",
        "qbusiness",
    }
)
# Services whose calls go through the scheduler (it retries them).
SCHEDULED_SERVICES = frozenset({"bedrock-runtime", "bedrock-agent-runtime", "bedrock-agentcore"})
BEDROCK_SERVICES = frozenset({"bedrock", "bedrock-runtime", "bedrock-agent-runtime", "bedrock-agentcore"})


class CredentialsMissing(Exception):
    """No AWS credentials in the environment, profile or instance metadata (exit 3)."""


@dataclass
class Aws:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # applied to the Bedrock services
    pool_size: int = 16
    timeout_seconds: float = 120.0
    _session: boto3.Session | None = None
    _clients: dict[tuple[str, str | None, str | None], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self) -> boto3.Session:
        with self._lock:
            if self._session is None:
                import boto3

                self._session = boto3.Session(profile_name=self.profile, region_name=self.region or _env_region())
            return self._session

    def check_credentials(self) -> None:
        """Raise CredentialsMissing before any call is made, rather than failing every case one by one."""
        session = self.session()
        if session.get_credentials() is None:
            raise CredentialsMissing(
                "no AWS credentials found: configure them (environment, profile, OIDC role) or run with --emulator"
            )
        if session.region_name is None:
            raise CredentialsMissing(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), `aws.region` in the suite or --region"
            )

    def client(self, service: str, region: str | None = None, endpoint_url: str | None = None) -> Any:
        """The shared client for a service (and region/endpoint, for targets that name their own)."""
        if service not in SERVICES:
            raise ValueError(f"evalcore builds no {service} client (declare it in evalcore.bedrock.clients.SERVICES)")
        endpoint = endpoint_url or (self.endpoint_url if service in BEDROCK_SERVICES else None)
        if endpoint is not None:
            # botocore never sends an endpoint's user and password (botocore/httpsession.py reads credentials
            # from proxy URLs only, connects by host and port and sends the path; auth.py's _host_from_url
            # leaves userinfo out of the signature), but it writes the URL it was given into its errors:
            # without them, no error message can carry the password into a result, a report or a log.
            endpoint = without_userinfo(endpoint)
        key = (service, region, endpoint)
        with self._lock:
            client = self._clients.get(key)
        if client is not None:
            return client
        from botocore.config import Config

        retries = (
            {"total_max_attempts": 1} if service in SCHEDULED_SERVICES else {"mode": "standard", "max_attempts": 5}
        )
        config = Config(
            retries=retries,
            max_pool_connections=max(10, self.pool_size),
            read_timeout=self.timeout_seconds,
            connect_timeout=10,
            user_agent_extra="evalcore",
        )
        client = self.session().client(service, region_name=region, endpoint_url=endpoint, config=config)
        with self._lock:
            return self._clients.setdefault(key, client)


def _env_region() -> str | None:
    """AWS_REGION: the region variable of the AWS SDKs, read after a region set in code and before the shared config
    file (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html; the chain spelled out e.g. in
    https://docs.aws.amazon.com/sdk-for-rust/latest/dg/region.html). botocore reads only AWS_DEFAULT_REGION and the
    profile's `region` (botocore/configprovider.py: 'region'), which stay the fallbacks when AWS_REGION is unset."""
    return os.environ.get("AWS_REGION") or None
