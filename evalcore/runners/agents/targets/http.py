"""http: an HTTP endpoint. The JSON body is a template (`{{prompt}}`, `{{session_id}}`), the answer is picked from
the JSON response by `response_path` (a JSONPath subset), header values may name environment variables
(`Bearer ${API_TOKEN}`), read at each call and never printed or stored.

429 and 5xx answers are retried by the scheduler like a throttled or failing AWS call (ATTEMPTS in all); other
statuses are final.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import requests
from botocore.exceptions import ClientError
from requests.adapters import HTTPAdapter

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, json_path
from evalcore.runners.agents.targets.body_template import render
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import HttpTarget

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ATTEMPTS = 4


class HttpEndpoint:
    model_id: str | None = None

    def __init__(self, spec: HttpTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.http = requests.Session()
        adapter = HTTPAdapter(pool_maxsize=max(10, env.scheduler.concurrency))
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        json_path.parse(spec.response_path)  # a bad path fails the section at once, not every test

    def session(self, test: AgentTest, repeat: int) -> HttpSession:
        return HttpSession(self)


class HttpSession:
    def __init__(self, endpoint: HttpEndpoint) -> None:
        self.endpoint = endpoint
        self.session_id = str(uuid.uuid4())

    def send(self, text: str) -> TargetReply:
        spec = self.endpoint.spec
        body = render(spec.body, {"prompt": text, "session_id": self.session_id})

        def post() -> Any:
            response = self.endpoint.http.request(
                spec.method, spec.url, json=body, headers=_headers(spec.headers), timeout=spec.timeout_seconds
            )
            if response.status_code == 429 or response.status_code >= 500:
                code = "Throttling" if response.status_code == 429 else "ServiceUnavailable"
                error = {"Code": code, "Message": f"HTTP {response.status_code} from the target"}
                raise ClientError(
                    {"Error": error, "ResponseMetadata": {"HTTPStatusCode": response.status_code}}, "HttpTarget"
                )
            if response.status_code >= 400:
                raise ValueError(f"HTTP {response.status_code} from the target: {response.text[:200]}")
            return response.json()

        document, attempts = call(self.endpoint.env, post, ATTEMPTS)
        answer = json_path.find(document, spec.response_path)
        return TargetReply(text=answer if isinstance(answer, str) else str(answer), attempts=attempts)


def _headers(templates: dict[str, str]) -> dict[str, str]:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"header value names ${{{name}}}, which is not set in the environment")
        return os.environ[name]

    return {key: _ENV.sub(value, template) for key, template in templates.items()}
