"""A small GitHub REST client (requests): the sticky comment, pull requests of a commit, artifacts.

Rate limits are waited out a bounded number of times: the primary limit (`x-ratelimit-remaining: 0`, wait until
`x-ratelimit-reset`) and the secondary one (403/429 with `retry-after`, else at least a minute), and 5xx answers
are retried with backoff. GitHub Enterprise Server works through `api_url` (GITHUB_API_URL). The token is never
printed: it is not part of this object's repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

API_VERSION = "2022-11-28"
BOT_LOGIN = "github-actions[bot]"


class GitHubError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub API {status}: {message}")
        self.status = status
        self.message = message

    @property
    def read_only(self) -> bool:
        """The token may not write here (a fork's pull request, or missing `pull-requests: write`)."""
        return self.status in (401, 403)


@dataclass
class GitHub:
    repository: str  # owner/name
    token: str = field(repr=False)
    api_url: str = "https://api.github.com"
    max_retries: int = 4
    max_wait: float = 300.0  # the longest single wait for a rate limit; longer and we give up
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    timeout: float = 30.0

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "evalcore",
        }

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.api_url.rstrip('/')}{path_or_url}"
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.session.request(method, url, headers=self._headers(), timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                if attempt >= self.max_retries:
                    raise GitHubError(0, f"{type(exc).__name__}: cannot reach {self.api_url}") from None
                self.sleep(min(30.0, 2.0**attempt))
                continue
            wait = self._wait_for(resp, attempt)
            if wait is None:
                if resp.status_code >= 400:
                    raise GitHubError(resp.status_code, _message(resp))
                return resp
            if attempt >= self.max_retries or wait > self.max_wait:
                raise GitHubError(
                    resp.status_code, f"{_message(resp)} (rate limited; gave up after {attempt + 1} tries)"
                )
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _wait_for(self, resp: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        status = resp.status_code
        if status in (403, 429):
            if resp.headers.get("retry-after"):
                return max(0.0, float(resp.headers["retry-after"]))
            if resp.headers.get("x-ratelimit-remaining") == "0" and resp.headers.get("x-ratelimit-reset"):
                return max(0.0, float(resp.headers["x-ratelimit-reset"]) - time.time()) + 1.0
            if "secondary rate limit" in _message(resp).lower():
                return 60.0 * (2**attempt)
            return None
        if status >= 500:
            return min(30.0, 2.0**attempt)
        return None

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: rel="next"`."""
        url: str | None = path
        query = {"per_page": 100, **(params or {})}
        while url is not None:
            resp = self.request("GET", url, params=query)
            query = {}  # the next link carries the query
            data = resp.json()
            yield from data if isinstance(data, list) else data.get("artifacts", [])
            url = resp.links.get("next", {}).get("url")

    # ---- comments ----

    def login(self) -> str:
        """Who the token writes as: the user of a personal token, else the Actions bot (GITHUB_TOKEN)."""
        try:
            return str(self.request("GET", "/user").json()["login"])
        except GitHubError:
            return BOT_LOGIN

    def find_comment(self, number: int, marker: str, author: str) -> dict[str, Any] | None:
        for comment in self.paginate(f"/repos/{self.repository}/issues/{number}/comments"):
            if marker in (comment.get("body") or "") and (comment.get("user") or {}).get("login") == author:
                return dict(comment)
        return None

    def upsert_comment(self, number: int, body: str, marker: str) -> tuple[str, str | None]:
        """Create or update the one comment carrying `marker`. Returns (what happened, the comment's URL)."""
        if marker not in body:
            raise ValueError("the comment body must carry its marker")
        existing = self.find_comment(number, marker, self.login())
        if existing is not None:
            if existing.get("body") == body:
                return "unchanged", existing.get("html_url")
            resp = self.request(
                "PATCH", f"/repos/{self.repository}/issues/comments/{existing['id']}", json={"body": body}
            )
            return "updated", resp.json().get("html_url")
        resp = self.request("POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body})
        return "created", resp.json().get("html_url")

    def delete_comment(self, number: int, marker: str) -> str:
        """Delete the comment carrying `marker`, if there is one (DELETE .../issues/comments/{id}, answered 204:
        https://docs.github.com/en/rest/issues/comments#delete-an-issue-comment). Returns what happened."""
        existing = self.find_comment(number, marker, self.login())
        if existing is None:
            return "none to delete"
        self.request("DELETE", f"/repos/{self.repository}/issues/comments/{existing['id']}")
        return "deleted"

    def pull_request_files(self, number: int) -> list[str]:
        """The paths a pull request changes (a renamed file counts by both names). GitHub lists at most 3,000
        files (https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files); a caller that must not miss
        one treats 3,000 as "maybe more"."""
        names: list[str] = []
        for item in self.paginate(f"/repos/{self.repository}/pulls/{number}/files"):
            names.append(str(item["filename"]))
            if item.get("previous_filename"):
                names.append(str(item["previous_filename"]))
        return names

    def pulls_for_commit(self, sha: str) -> list[int]:
        resp = self.request("GET", f"/repos/{self.repository}/commits/{sha}/pulls")
        return [int(p["number"]) for p in resp.json() if p.get("state") == "open"]

    # ---- artifacts ----

    def newest_artifact(self, name: str, branch: str) -> dict[str, Any] | None:
        """The newest unexpired artifact called `name` from a run on `branch`."""
        best = None
        for artifact in self.paginate(f"/repos/{self.repository}/actions/artifacts", {"name": name}):
            run = artifact.get("workflow_run") or {}
            if artifact.get("expired") or run.get("head_branch") != branch:
                continue
            if best is None or artifact.get("created_at", "") > best.get("created_at", ""):
                best = artifact
        return best

    def download(self, url: str) -> bytes:
        return self.request("GET", url, allow_redirects=True).content


def _message(resp: requests.Response) -> str:
    try:
        return str(resp.json().get("message", resp.reason))
    except ValueError:
        return str(resp.reason or resp.status_code)
