"""The `hosts` stage of a scan: pull requests of every repository on a configured code host.

Which repositories: scanned ones whose origin is on an active host (a token in the environment, or
repositories named in its configuration section), plus those the configuration names (`[github] repos`,
`orgs`, `[gitlab] projects`, `groups`); one that was not cloned gets a `repos` row with the identity a
clone would have (`host/owner/name`). No host active: nothing happens, and no network call is made.

Per repository, one incremental pass: list pull requests updated since the watermark (the newest
`updated_at` of the last complete pass, in `sync_state` (repo, host, "pulls")) minus an overlap; read each
new or changed one (a thread pool fetches a few at a time) and write it, replacing what was stored, in its
own transaction, in list order. The watermark moves only when the whole pass succeeded: an interrupted
pass is simply done again, and the pull requests it already stored are not fetched twice.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from devmetrics import __version__
from devmetrics.collectors.hosts import HOSTS, HostCollector
from devmetrics.collectors.http import HttpClient, HttpStats
from devmetrics.config import Config
from devmetrics.errors import DevmetricsError
from devmetrics.host_model import HostRepo, PullRequest
from devmetrics.host_store import StoreHttpCache, save_pull_request, stored_updates
from devmetrics.model import RepoRef
from devmetrics.store import Store

log = logging.getLogger("devmetrics.hosts")
STAGE = "hosts"
CATEGORY = "pulls"
_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True)
class ScannedRepo:
    """A scan target as the hosts stage sees it: where its origin is, and its repository when local."""

    target: str
    host: str | None  # web host of origin, e.g. github.com
    owner_name: str | None
    ref: RepoRef | None  # None for a URL (its row, if any, is found by identity)


@dataclass
class HostOutcome:
    target: str  # e.g. github:acme/app
    name: str
    local_target: str | None  # the scan target this repository came from, when it was one
    status: str = "ok"  # ok, failed
    reason: str = ""
    pull_requests: int = 0  # new or updated pull requests written
    seconds: float = 0.0


@dataclass
class HostsRun:
    outcomes: list[HostOutcome]
    stats: dict[str, HttpStats]  # per host: what its client did


def run(
    store: Store,
    scanned: Sequence[ScannedRepo],
    config: Config,
    *,
    run_id: str,
    env: Mapping[str, str] | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> HostsRun:
    """Collect every active host's repositories; one repository's failure does not stop the others."""
    env = os.environ if env is None else env
    result = HostsRun([], {})
    for collector in HOSTS.values():
        if not collector.is_active(config, env):
            continue
        cache = StoreHttpCache(store.path)
        client = collector.make_client(config, env, cache, **(client_options or {}))
        try:
            repositories = _repositories(store, collector, client, scanned, config, env, run_id, result)
            for host_repo, scanned_repo in repositories:
                result.outcomes.append(_collect_one(store, collector, client, host_repo, scanned_repo, config, run_id))
        finally:
            result.stats[collector.HOST] = client.stats
            client.close()
            cache.close()
    return result


def _repositories(
    store: Store,
    collector: HostCollector,
    client: HttpClient,
    scanned: Sequence[ScannedRepo],
    config: Config,
    env: Mapping[str, str],
    run_id: str,
    result: HostsRun,
) -> Iterator[tuple[HostRepo, ScannedRepo | None]]:
    """Scanned repositories on this host, then configured ones, each once (GitHub names ignore case)."""
    web_host = collector.web_host(config, env)
    seen: set[str] = set()

    def fresh(owner_name: str) -> bool:
        key = owner_name.strip("/").lower()
        if key in seen:
            return False
        seen.add(key)
        return True

    for repo in scanned:
        if repo.host == web_host and repo.owner_name and fresh(repo.owner_name):
            yield HostRepo(collector.HOST, web_host, repo.owner_name), repo
    for owner_name in collector.listed_repos(config):
        if fresh(owner_name):
            yield HostRepo(collector.HOST, web_host, owner_name.strip("/")), None
    for owner in collector.owners(config):
        target = f"{collector.HOST}:{owner}"
        scan_id = store.start_scan(run_id, target, STAGE, __version__)
        try:
            names = list(collector.fetch_repositories(client, owner))
        except DevmetricsError as error:
            log.error("%s", error)
            store.finish_scan(scan_id, "failed", reason=str(error))
            result.outcomes.append(HostOutcome(target, owner, None, "failed", str(error)))
            continue
        store.finish_scan(scan_id, "ok", reason=f"{len(names)} repositories listed", items=len(names))
        for owner_name in names:
            if fresh(owner_name):
                yield HostRepo(collector.HOST, web_host, owner_name), None


def _collect_one(
    store: Store,
    collector: HostCollector,
    client: HttpClient,
    host_repo: HostRepo,
    scanned: ScannedRepo | None,
    config: Config,
    run_id: str,
) -> HostOutcome:
    started = time.monotonic()
    name = host_repo.owner_name.rsplit("/", 1)[-1]
    outcome = HostOutcome(host_repo.target, name, scanned.target if scanned else None)
    scan_id = store.start_scan(run_id, host_repo.target, STAGE, __version__)
    repo_id: int | None = None
    try:
        repo_id = _repo_id(store, host_repo, scanned)
        outcome.pull_requests = collect_repository(store, collector, client, host_repo.owner_name, repo_id, config)
    except DevmetricsError as error:
        outcome.status, outcome.reason = "failed", str(error)
        log.error("%s", error)
        with store.transaction():
            store.finish_scan(scan_id, "failed", repo_id=repo_id, reason=str(error))
    else:
        outcome.reason = f"{outcome.pull_requests} pull requests new or updated"
        with store.transaction():
            store.finish_scan(scan_id, "ok", repo_id=repo_id, reason=outcome.reason, items=outcome.pull_requests)
    outcome.seconds = time.monotonic() - started
    return outcome


def _repo_id(store: Store, host_repo: HostRepo, scanned: ScannedRepo | None) -> int:
    if scanned is not None and scanned.ref is not None:
        with store.transaction():
            return store.upsert_repo(scanned.ref)
    row = store.db.execute("SELECT id FROM repos WHERE identity = ?", [host_repo.identity]).fetchone()
    if row is not None:
        return int(row[0])
    web = f"https://{host_repo.web_host}/{host_repo.owner_name}"
    ref = RepoRef(
        identity=host_repo.identity,
        path=web,
        name=host_repo.owner_name.rsplit("/", 1)[-1],
        remote_url=web,
        host=host_repo.web_host,
        owner_name=host_repo.owner_name,
        is_bare=False,
        is_shallow=False,
    )
    with store.transaction():
        return store.upsert_repo(ref)


def collect_repository(
    store: Store, collector: HostCollector, client: HttpClient, owner_name: str, repo_id: int, config: Config
) -> int:
    """One incremental pass over a repository's pull requests; returns how many were written."""
    state = store.sync_state(repo_id, collector.HOST, CATEGORY) or {}
    watermark = state.get("watermark")
    watermark = watermark if isinstance(watermark, int) else None
    since = None if watermark is None else watermark - 60 * config.hosts.overlap_minutes
    stored = stored_updates(store, repo_id)
    newest = [watermark] if watermark is not None else []

    def wanted() -> Iterator[PullRequest]:
        for listed in collector.fetch_listed(client, owner_name, since):
            newest.append(listed.updated_at)
            known = stored.get(listed.number)
            if known is not None and known[1] and known[0] >= listed.updated_at:
                continue  # stored by an earlier (perhaps interrupted) pass, unchanged since
            yield listed

    written = 0
    pool = ThreadPoolExecutor(max_workers=config.hosts.concurrency, thread_name_prefix=f"devmetrics-{collector.HOST}")
    try:
        fetch = _fetcher(collector, client, owner_name)
        for facts in _ordered(pool, fetch, wanted(), ahead=2 * config.hosts.concurrency):
            with store.transaction():
                save_pull_request(store, repo_id, facts)
            written += 1
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if newest:
        with store.transaction():
            store.set_sync_state(repo_id, collector.HOST, CATEGORY, {"watermark": max(newest)})
    return written


def _fetcher(collector: HostCollector, client: HttpClient, owner_name: str) -> Callable[[PullRequest], Any]:
    def fetch(listed: PullRequest) -> Any:
        return collector.fetch_facts(client, owner_name, listed)

    return fetch


def _ordered(
    pool: ThreadPoolExecutor, function: Callable[[_T], _R], items: Iterable[_T], *, ahead: int
) -> Iterator[_R]:
    """Results in submission order, with at most `ahead` in flight; the first failure is raised."""
    pending: deque[Future[_R]] = deque()
    queue = iter(items)
    for item in queue:
        pending.append(pool.submit(function, item))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.popleft().result()
        for item in queue:
            pending.append(pool.submit(function, item))
            break
        yield result
