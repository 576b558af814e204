"""The code-host HTTP layer against a local server: pagination, the ETag cache, rate limits, retries,
timeouts and one-line errors that never carry the token."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from devmetrics.collectors.http import HttpClient, ca_bundle_from
from devmetrics.errors import DevmetricsError
from devmetrics.host_store import StoreHttpCache
from devmetrics.store import Store
from tests.host_fixtures import FAKE_TOKEN, FakeApi


class FakeClock:
    """time.time and time.sleep for the client: sleeping moves the clock, nothing waits."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "devmetrics.db")
    yield opened
    opened.close()


def client_for(api: FakeApi, clock: FakeClock, **options: Any) -> HttpClient:
    defaults: dict[str, Any] = {
        "auth_headers": {"Authorization": f"Bearer {FAKE_TOKEN}"},
        "token_env": "GITHUB_TOKEN",
        "clock": clock.time,
        "sleep": clock.sleep,
        "jitter": lambda: 0.5,
        "attempts": 4,
    }
    defaults.update(options)
    return HttpClient(api.base_url, **defaults)


def numbers(n: int) -> list[dict[str, int]]:
    return [{"n": i} for i in range(n)]


def test_link_pagination_reads_every_page(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/things", lambda request, match: numbers(250))
    client = client_for(api, clock)
    got = list(client.items("things", {"per_page": 100}))
    assert [item["n"] for item in got] == list(range(250))
    assert len(api.requests) == 3
    assert api.requests[1].endswith("page=2") and api.requests[2].endswith("page=3")
    assert client.stats.requests == 3 and client.stats.not_modified == 0


def test_a_304_replays_the_cached_body_and_link(host_server: HTTPServer, clock: FakeClock, store: Store) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/things", lambda request, match: numbers(250))
    cache = StoreHttpCache(store.path)
    first = list(client_for(api, clock, cache=cache).items("things", {"per_page": 100}))
    again = client_for(api, clock, cache=cache)
    second = list(again.items("things", {"per_page": 100}))
    assert second == first
    # The second run followed the cached next links: a 304 carries no Link header.
    assert api.requests[3:] == api.requests[:3]
    assert api.not_modified == 3
    assert again.stats.not_modified == 3 and again.stats.full_answers == 0
    cached = store.db.execute("SELECT count(*), count(link) FROM http_cache").fetchone()
    assert cached == (3, 2)  # the last page has no next link
    cache.close()


def test_primary_rate_limit_waits_until_reset(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server)
    api.extra_headers = lambda n: {"x-ratelimit-remaining": "0" if n == 1 else "4999", "x-ratelimit-reset": "1600"}
    api.install()
    api.route(r"/things", lambda request, match: numbers(150))
    client = client_for(api, clock)
    assert len(list(client.items("things", {"per_page": 100}))) == 150
    assert clock.slept == [600.0]  # reset 1600 - now 1000
    assert client.stats.waits == [600.0]


def limited_then_ok(status: int, headers: dict[str, str]) -> Any:
    calls: list[int] = []

    def route(request: Request, match: re.Match[str]) -> Any:
        calls.append(1)
        if len(calls) == 1:
            return Response('{"message": "slow down"}', status=status, headers=headers)
        return [{"ok": True}]

    return route


def test_secondary_rate_limit_obeys_retry_after(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/x", limited_then_ok(403, {"retry-after": "7", "x-ratelimit-remaining": "4000"}))
    assert list(client_for(api, clock).items("x")) == [{"ok": True}]
    assert clock.slept == [7.0]


def test_secondary_limit_without_retry_after_backs_off(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    calls: list[int] = []

    def route(request: Request, match: re.Match[str]) -> Any:
        calls.append(1)
        if len(calls) <= 2:
            message = '{"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}'
            return Response(message, status=403, headers={"x-ratelimit-remaining": "4000"})
        return [{"ok": True}]

    api.route(r"/x", route)
    assert list(client_for(api, clock).items("x")) == [{"ok": True}]
    assert clock.slept == [60.0, 120.0]


def test_429_without_headers_backs_off_from_a_minute(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/x", limited_then_ok(429, {}))
    assert list(client_for(api, clock).items("x")) == [{"ok": True}]
    assert clock.slept == [60.0]


def test_gitlab_rate_limit_headers_are_obeyed(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/x", limited_then_ok(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": "1030"}))
    assert list(client_for(api, clock).items("x")) == [{"ok": True}]
    assert clock.slept == [30.0]  # until RateLimit-Reset; the reset time is then past, so no second wait


def test_server_error_is_retried_with_backoff(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/x", limited_then_ok(502, {}))
    client = client_for(api, clock)
    assert list(client.items("x")) == [{"ok": True}]
    assert clock.slept == [1.5]  # 1 s doubled per attempt, times 1 + jitter (0.5)
    assert client.stats.retries == 1 and client.stats.requests == 2


def test_server_errors_give_up_after_bounded_attempts(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(r"/x", lambda request, match: Response("down", status=503))
    with pytest.raises(DevmetricsError) as caught:
        list(client_for(api, clock).items("x"))
    message = str(caught.value)
    assert message.startswith(f"{api.base_url}/x: gave up after 4 attempts (last: 503 SERVICE UNAVAILABLE); try")
    assert len(api.requests) == 4
    assert clock.slept == [1.5, 3.0, 6.0]


def test_a_timeout_is_retried(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    calls: list[int] = []

    def slow_once(request: Request, match: re.Match[str]) -> Any:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(1.0)
        return [{"ok": True}]

    api.route(r"/x", slow_once)
    client = client_for(api, clock, timeout=0.3)
    assert list(client.items("x")) == [{"ok": True}]
    assert len(calls) == 2 and clock.slept == [1.5]


def test_timeouts_end_in_a_clear_error(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()

    def slow(request: Request, match: re.Match[str]) -> Any:
        time.sleep(0.6)
        return []

    api.route(r"/x", slow)
    with pytest.raises(DevmetricsError, match=r"/x: gave up after 2 attempts \(last: timed out\); try again later"):
        list(client_for(api, clock, timeout=0.2, attempts=2).items("x"))


def assert_token_nowhere(message: str, caplog: pytest.LogCaptureFixture, db: Path | None = None) -> None:
    assert FAKE_TOKEN not in message
    assert "\n" not in message
    assert all(FAKE_TOKEN not in record.getMessage() for record in caplog.records)
    if db is not None:
        for path in db.parent.glob(db.name + "*"):
            assert FAKE_TOKEN.encode() not in path.read_bytes()


def test_malformed_json_is_one_line_naming_the_url(
    host_server: HTTPServer, clock: FakeClock, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = FakeApi(host_server).install()
    api.route(r"/broken", lambda request, match: Response("<html>login</html>", headers={"ETag": '"e"'}))
    with pytest.raises(DevmetricsError) as caught:
        client_for(api, clock, cache=StoreHttpCache(store.path)).get(f"{api.base_url}/broken")
    message = str(caught.value)
    assert message.startswith(f"{api.base_url}/broken: the answer is not valid JSON")
    assert_token_nowhere(message, caplog, store.path)


def test_401_says_check_the_token_and_never_shows_it(
    host_server: HTTPServer, clock: FakeClock, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = FakeApi(host_server, token="another-token").install()
    api.route(r"/x", lambda request, match: [1])
    with pytest.raises(DevmetricsError) as caught:
        list(client_for(api, clock, cache=StoreHttpCache(store.path)).items("x"))
    message = str(caught.value)
    assert message == f"{api.base_url}/x: 401 Unauthorized (Bad credentials); check GITHUB_TOKEN"
    assert len(api.requests) == 1  # not retried
    assert_token_nowhere(message, caplog, store.path)


def test_403_with_quota_left_is_a_permission_error(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(
        r"/x",
        lambda request, match: Response(
            '{"message": "Resource not accessible by integration"}', status=403, headers={"x-ratelimit-remaining": "10"}
        ),
    )
    with pytest.raises(DevmetricsError, match="403 Forbidden \\(Resource not accessible by integration\\); check"):
        list(client_for(api, clock).items("x"))
    assert clock.slept == []


def test_a_next_link_to_another_host_is_refused(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    api.route(
        r"/x",
        lambda request, match: Response("[]", headers={"Link": '<https://elsewhere.example/x?page=2>; rel="next"'}),
    )
    with pytest.raises(DevmetricsError, match=r"https://elsewhere.example/x\?page=2: not under"):
        list(client_for(api, clock).items("x"))


def test_gitlab_next_page_header_pagination(host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server, style="next-page").install()
    api.route(r"/things", lambda request, match: numbers(45))
    got = list(client_for(api, clock).items("things", {"per_page": 20}))
    assert len(got) == 45 and len(api.requests) == 3


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[HTTPServer, Path]]:
    """A local HTTPS server with a self-signed certificate for 127.0.0.1, and that certificate's file."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    yield server, cert
    server.clear()
    server.stop()


def test_a_ca_bundle_from_the_environment_is_trusted(tls_server: tuple[HTTPServer, Path], clock: FakeClock) -> None:
    server, cert = tls_server
    api = FakeApi(server).install()
    api.route(r"/x", lambda request, match: [{"ok": True}])
    assert api.base_url.startswith("https://127.0.0.1:")
    with pytest.raises(DevmetricsError, match="TLS certificate is not trusted; set SSL_CERT_FILE"):
        list(client_for(api, clock).items("x"))
    assert list(client_for(api, clock, ca_bundle=str(cert)).items("x")) == [{"ok": True}]


def test_a_missing_ca_bundle_is_a_clear_error(tmp_path: Path, host_server: HTTPServer, clock: FakeClock) -> None:
    api = FakeApi(host_server).install()
    with pytest.raises(DevmetricsError, match=r"nowhere\.pem: cannot read the CA bundle .*; fix REQUESTS_CA_BUNDLE"):
        client_for(api, clock, ca_bundle=str(tmp_path / "nowhere.pem"))


def test_requests_style_ca_bundle_variables_are_honoured() -> None:
    assert ca_bundle_from({"REQUESTS_CA_BUNDLE": "/etc/corp.pem"}) == "/etc/corp.pem"
    assert ca_bundle_from({"CURL_CA_BUNDLE": "/etc/curl.pem"}) == "/etc/curl.pem"
    assert ca_bundle_from({"REQUESTS_CA_BUNDLE": "/etc/corp.pem", "SSL_CERT_FILE": "/etc/ssl.pem"}) is None
    assert ca_bundle_from({}) is None


def test_a_proxy_from_the_environment_is_used(
    host_server: HTTPServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeApi(host_server).install()  # plays the proxy: it receives the request for the remote host
    api.route(r"/x", lambda request, match: [{"via": request.environ.get("REQUEST_URI", "")}])
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", api.base_url)
    client = HttpClient(
        "http://api.github.example", auth_headers={}, token_env="GITHUB_TOKEN", clock=clock.time, sleep=clock.sleep
    )
    assert list(client.items("x")) == [{"via": "http://api.github.example/x"}]
