"""The code-host collectors behind one Protocol, and their explicit registry (DESIGN principle 7).

A collector is a module. `fetch_listed` yields a repository's pull requests as its list shows them (new or
updated since a time); `fetch_facts` reads one pull request's own endpoints; `fetch_repositories` lists an
organisation's or group's repositories. None writes the store: `devmetrics.host_scan` decides what to
fetch and writes what comes back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol, cast

from devmetrics.collectors import github, gitlab
from devmetrics.collectors.http import HttpCache, HttpClient
from devmetrics.config import Config
from devmetrics.host_model import PullRequest, PullRequestFacts


class HostCollector(Protocol):
    HOST: str
    TOKEN_VARIABLES: tuple[str, ...]

    def api_url(self, config: Config, env: Mapping[str, str]) -> str: ...

    def web_host(self, config: Config, env: Mapping[str, str]) -> str: ...

    def is_active(self, config: Config, env: Mapping[str, str]) -> bool: ...

    def make_client(
        self, config: Config, env: Mapping[str, str], cache: HttpCache | None, **options: Any
    ) -> HttpClient: ...

    def listed_repos(self, config: Config) -> tuple[str, ...]: ...

    def owners(self, config: Config) -> tuple[str, ...]: ...

    def fetch_repositories(self, client: HttpClient, owner: str) -> Iterator[str]: ...

    def fetch_listed(self, client: HttpClient, owner_name: str, since: int | None) -> Iterator[PullRequest]: ...

    def fetch_facts(self, client: HttpClient, owner_name: str, listed: PullRequest) -> PullRequestFacts: ...


HOSTS: dict[str, HostCollector] = {
    "github": cast(HostCollector, github),
    "gitlab": cast(HostCollector, gitlab),
}
