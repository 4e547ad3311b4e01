"""``Emulator``: the emulator (and moto's S3/IAM/STS server) started in-process on free loopback ports.

with Emulator() as emu:
    client = emu.client("bedrock-runtime")
    client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[...])
    assert len(emu.requests("Converse")) == 1
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from evalcore_emulator.context import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, REGION, ServerContext
from evalcore_emulator.request_log import LoggedRequest, RequestLog
from evalcore_emulator.server import EmulatorServer, is_loopback
from evalcore_emulator.world import World, load_world

BEDROCK_SERVICES = ("bedrock", "bedrock-runtime", "bedrock-agent-runtime", "bedrock-agentcore")
MOTO_SERVICES = ("s3", "iam", "sts", "logs")  # logs: where AgentCore batch evaluations write results


class EmulatorSession(boto3.Session):
    """A boto3 session with fake credentials whose clients talk to the emulator unless told otherwise."""

    def __init__(self, endpoints: dict[str, str]) -> None:
        super().__init__(aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY, region_name=REGION)
        self._endpoints = endpoints
        self._lock = threading.Lock()

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """A client for ``service_name``; safe to call from several threads (creation is serialised)."""
        if not args and kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self._endpoints.get(service_name)
        with self._lock:
            return super().client(service_name, *args, **kwargs)


class Emulator:
    def __init__(
        self,
        world: World | str | Path | None = None,
        s3: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        request_log: str | Path | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the emulator binds loopback addresses only, not {host!r}")
        self._world = _as_world(world)
        self._want_s3 = s3
        self._host, self._port = host, port
        self._log = RequestLog(Path(request_log) if request_log is not None else None)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self._moto: Any = None
        self.s3_endpoint: str | None = None
        self._buckets_made: set[str] = set()
        self._session: EmulatorSession | None = None

    def start(self) -> Emulator:
        if self._want_s3:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access-log line per S3 request on stderr
            self._moto = ThreadedMotoServer(ip_address=self._host, port=0, verbose=False)
            self._moto.start()
            moto_host, moto_port = self._moto.get_host_and_port()
            self.s3_endpoint = f"http://{moto_host}:{moto_port}"
        context = ServerContext(self._world, self.s3_endpoint)
        try:
            self._server = EmulatorServer(context, self._log, self._host, self._port)
        except OSError:
            self.stop()  # e.g. the port is taken: do not leave moto running
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="evalcore-emulator", daemon=True
        )
        self._thread.start()
        self._create_buckets()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        self._log.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server.endpoint

    @property
    def world(self) -> World:
        return self._running().context.world

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3, the AWS CLI and other SDKs at the emulator."""
        env = {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
        env.update({_env_name(service): url for service, url in self._endpoints().items()})
        return env

    def requests(self, operation: str | None = None) -> list[LoggedRequest]:
        return self._log.entries(operation)

    def clear_requests(self) -> None:
        self._log.clear()

    def set_world(self, world: World | str | Path | None) -> None:
        """Replace the world (None: the default world); fault sequences restart."""
        self._running().context.set_world(_as_world(world))
        self._create_buckets()

    def session(self) -> EmulatorSession:
        """The emulator's boto3 session (one per emulator: building sessions is slow); clients made from it talk to
        the emulator, and S3/IAM/STS clients to moto."""
        if self._session is None:
            self._session = EmulatorSession(self._endpoints())
        return self._session

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for ``service`` bound to the emulator; ``config`` goes to ``botocore.config.Config``."""
        return self.session().client(service, config=Config(**config))

    def _create_buckets(self) -> None:
        """The world's `buckets`, in moto's S3 (kept when the world changes; moto keeps what it holds)."""
        missing = [b for b in self.world.buckets if b not in self._buckets_made]
        if self.s3_endpoint is None or not missing:
            return
        s3 = self.client("s3")
        for bucket in missing:
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                s3.create_bucket(Bucket=bucket)
            self._buckets_made.add(bucket)

    def _endpoints(self) -> dict[str, str]:
        endpoints = dict.fromkeys(BEDROCK_SERVICES, self.endpoint)
        if self.s3_endpoint is not None:
            endpoints.update(dict.fromkeys(MOTO_SERVICES, self.s3_endpoint))
        return endpoints

    def _running(self) -> EmulatorServer:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server


def _as_world(world: World | str | Path | None) -> World:
    return world if isinstance(world, World) else load_world(world)


def _env_name(service: str) -> str:
    # The SDKs name the variable by the service's serviceId ("CloudWatch Logs" for logs), upper case, spaces and
    # dashes as underscores (AWS SDKs and Tools reference guide, "Service-specific endpoints").
    service_id = {"logs": "CloudWatch Logs"}.get(service, service)
    return "AWS_ENDPOINT_URL_" + service_id.upper().replace(" ", "_").replace("-", "_")
