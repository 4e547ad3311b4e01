"""The server's implementation of :class:`~evalcore_emulator.protocol.EmulatorContext`."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from evalcore_emulator import judge, models
from evalcore_emulator.faults import FaultEngine
from evalcore_emulator.protocol import AwsError, ModelAnswer
from evalcore_emulator.world import World

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
FAKE_ACCESS_KEY = "AKIAEMULATOR00000000"
FAKE_SECRET_KEY = "emulator-secret-key-not-a-real-one"


class ServerContext:
    region = REGION
    account_id = ACCOUNT_ID

    def __init__(self, world: World, s3_endpoint: str | None = None) -> None:
        self.world = world
        self.faults = FaultEngine(world.faults, world.seed)
        self.s3_endpoint = s3_endpoint
        self._lock = threading.RLock()
        self._states: dict[str, dict[str, Any]] = {}
        self._clients: dict[str, Any] = {}

    def set_world(self, world: World) -> None:
        """Swap the world (and restart its fault sequences); named state is kept."""
        with self._lock:
            self.faults = FaultEngine(world.faults, world.seed)
            self.world = world

    def s3(self) -> Any:
        return self._moto_client("s3")

    def logs(self) -> Any:
        return self._moto_client("logs")

    def _moto_client(self, service: str) -> Any:
        """A client of moto's server (S3, CloudWatch Logs), started with the emulator."""
        if self.s3_endpoint is None:
            raise AwsError(500, "InternalServerException", f"The emulator was started without moto ({service}).")
        with self._lock:
            if service not in self._clients:
                self._clients[service] = boto3.session.Session().client(
                    service,
                    endpoint_url=self.s3_endpoint,
                    region_name=REGION,
                    aws_access_key_id=FAKE_ACCESS_KEY,
                    aws_secret_access_key=FAKE_SECRET_KEY,
                    config=Config(max_pool_connections=50, retries={"mode": "standard"}),
                )
            return self._clients[service]

    def answer(
        self,
        model_id: str,
        messages: list[dict[str, Any]],
        system: str | None = None,
        tool_config: dict[str, Any] | None = None,
    ) -> ModelAnswer:
        world = self.world
        canonical, spec = models.resolve(world, model_id)
        return models.answer(world, canonical, spec, messages, system, tool_config)

    def judge(self, prompt_text: str, tool_schema: dict[str, Any] | None) -> dict[str, Any]:
        return judge.verdict(self.world, prompt_text, tool_schema)

    def state(self, name: str) -> dict[str, Any]:
        with self._lock:
            return self._states.setdefault(name, {})

    @property
    def lock(self) -> threading.RLock:
        return self._lock
