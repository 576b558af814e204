"""Code-host collection cost (on demand: `pytest tests/benchmarks/test_hosts_benchmark.py -s`).

Against a local fake GitHub of 2,000 pull requests with reviews, counted in requests, not seconds:
- a first pass: requests made ÷ the minimum the fixture needs (list pages plus each pull request's
  endpoint pages) — goal <= 1.05; below 1 because comment lists counted empty are skipped;
- incremental passes with 0% and with 1% of the pull requests updated: requests with a body (304 answers
  counted separately) ÷ the first pass's requests — goal <= 0.05 each.
Figures and goals are printed, not asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from devmetrics import host_scan
from devmetrics.config import Config, GitHubConfig, HostsConfig
from devmetrics.store import Store
from tests.host_fixtures import BASE_TIME, FAKE_TOKEN, FakeGitHub, github_pull

PULLS = 2000
REPO = "acme/monorepo"


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    httpd = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpd.start()
    yield httpd
    httpd.clear()
    httpd.stop()


def one_pass(store: Store, fake: FakeGitHub, config: Config) -> tuple[int, int, int, float]:
    """(requests, 304 answers, pull requests written, seconds) of one collection."""
    started = time.perf_counter()
    result = host_scan.run(
        store,
        [],
        config,
        run_id="bench",
        env={"GITHUB_API_URL": fake.api.base_url, "GITHUB_TOKEN": FAKE_TOKEN},
        client_options={"sleep": lambda seconds: None},
    )
    seconds = time.perf_counter() - started
    (outcome,) = result.outcomes
    assert outcome.status == "ok", outcome.reason
    stats = result.stats["github"]
    return stats.requests, stats.not_modified, outcome.pull_requests, seconds


def test_request_economy(tmp_path: Path, server: HTTPServer) -> None:
    fake = FakeGitHub.start(server)
    fake.add(REPO, [github_pull(n, BASE_TIME + 60 * n, reviews=1 + n % 3, comments=n % 4) for n in range(1, PULLS + 1)])
    config = Config(github=GitHubConfig(repos=(REPO,)), hosts=HostsConfig(concurrency=4))
    store = Store.open(tmp_path / "bench.db")
    try:
        minimum = fake.minimum_requests(REPO)
        first, first_304, written, first_seconds = one_pass(store, fake, config)
        assert written == PULLS
        unchanged, unchanged_304, unchanged_written, unchanged_seconds = one_pass(store, fake, config)
        assert unchanged_written == 0
        for number in range(1, PULLS + 1, 100):  # 1% of the pull requests, spread over the history
            fake.repos[REPO][number].updated_at = BASE_TIME + 60 * (PULLS + 10 + number)
        updated, updated_304, updated_written, updated_seconds = one_pass(store, fake, config)
        assert updated_written == PULLS // 100
    finally:
        store.close()
    ratio = first / minimum
    unchanged_share = (unchanged - unchanged_304) / first
    updated_share = (updated - updated_304) / first
    print(f"\nhosts benchmark: {PULLS} pull requests, minimum requests of a first pass {minimum}")
    print(f"  first pass:        {first} requests ({first_304} answered 304) = {ratio:.3f} x minimum (goal <= 1.05)"
          f"; {first_seconds:.1f} s")  # fmt: skip
    print(f"  0% updated:        {unchanged - unchanged_304} requests + {unchanged_304} answered 304 = "
          f"{unchanged_share:.2%} of the first pass (goal <= 5%); {unchanged_seconds:.2f} s")  # fmt: skip
    print(f"  1% updated:        {updated - updated_304} requests + {updated_304} answered 304 = "
          f"{updated_share:.2%} of the first pass (goal <= 5%); {updated_seconds:.2f} s")  # fmt: skip
    met = ratio <= 1.05 and unchanged_share <= 0.05 and updated_share <= 0.05
    print(f"  goals {'met' if met else 'MISSED'}")
