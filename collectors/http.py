"""The HTTP layer of the code-host collectors: GET with an ETag cache, pagination, a rate-limit governor
and retries (DESIGN §2).

- Pagination follows `Link: <...>; rel="next"` (GitHub, GitLab) or GitLab's `x-next-page` header.
- Every GET of a cached URL sends `If-None-Match` (and `If-Modified-Since`); a 304 replays the cached
  body AND the cached Link header, since a 304 carries none. A 304 costs GitHub no rate limit.
- The governor obeys `x-ratelimit-remaining`/`x-ratelimit-reset` (GitHub) and `RateLimit-Remaining`/
  `RateLimit-Reset` (GitLab): remaining 0 means wait until reset; a 403/429 with `Retry-After` waits that
  long (secondary limits); a 403/429 without any rate-limit header backs off exponentially from 60 s.
- Server errors (5xx), timeouts and dropped connections are retried with exponential backoff and jitter,
  a bounded number of attempts in all.
- The token travels only in a request header: it is never in a URL, a cache key, a log line or a message.

The clock, the sleep and the jitter source are injectable, so tests fake time instead of waiting.
"""

from __future__ import annotations

import json
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from devmetrics import __version__
from devmetrics.errors import DevmetricsError
from devmetrics.host_model import CachedResponse

log = logging.getLogger("devmetrics.http")
LINK_PART = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]*)"?')
RATE_LIMIT_BACKOFF = 60.0  # first wait after a 403/429 that says nothing about when to come back
MAX_SHOWN_MESSAGE = 200


class HttpCache(Protocol):
    """Where validated answers are kept between runs (the store's `http_cache` table)."""

    def get(self, url: str) -> CachedResponse | None: ...

    def put(self, url: str, entry: CachedResponse) -> None: ...


@dataclass
class HttpStats:
    """What a client did: every request sent (304s and retried attempts included), and what they cost."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)  # every sleep asked for, in seconds

    @property
    def full_answers(self) -> int:
        """Requests answered with a body (not 304): what GitHub counts against the rate limit."""
        return self.requests - self.not_modified


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    data: Any
    next_url: str | None
    from_cache: bool


def shown(url: str) -> str:
    """The URL as messages show it: without credentials in it."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def next_link(link: str | None) -> str | None:
    """The `rel="next"` URL of a Link header."""
    for url, rel in LINK_PART.findall(link or ""):
        if "next" in rel.split():
            return str(url)
    return None


def with_page(url: str, page: str) -> str:
    """`url` with its `page` query parameter set (GitLab's x-next-page)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "page"]
    query.append(("page", page))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


class Governor:
    """Shared by a client's threads: when the next request may go, from the rate-limit headers seen."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None], stats: HttpStats) -> None:
        self.clock, self.sleep, self.stats = clock, sleep, stats
        self.resume_at = 0.0
        self.lock = threading.Lock()

    def wait_turn(self) -> None:
        with self.lock:
            delay = self.resume_at - self.clock()
        if delay > 0:
            self.pause(delay, "the rate limit is used up")

    def pause(self, seconds: float, why: str) -> None:
        log.info("waiting %.0f s: %s", seconds, why)
        with self.lock:
            self.stats.waits.append(seconds)
        self.sleep(seconds)

    def note(self, headers: httpx.Headers) -> None:
        """Remaining 0 in an answer: no request before the reset time."""
        remaining = _header_int(headers, "x-ratelimit-remaining", "ratelimit-remaining")
        reset = _header_int(headers, "x-ratelimit-reset", "ratelimit-reset")
        if remaining == 0 and reset is not None:
            with self.lock:
                self.resume_at = max(self.resume_at, float(reset))

    def limited_delay(self, response: httpx.Response, backoffs: int) -> float | None:
        """Seconds to wait before retrying a 403/429 that is a rate limit; None when it is not one."""
        headers = response.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            return float(retry_after) if retry_after.strip().isdigit() else RATE_LIMIT_BACKOFF * 2.0**backoffs
        remaining = _header_int(headers, "x-ratelimit-remaining", "ratelimit-remaining")
        reset = _header_int(headers, "x-ratelimit-reset", "ratelimit-reset")
        if remaining == 0 and reset is not None:
            return max(0.0, float(reset) - self.clock())
        said = _message(response).lower()
        if response.status_code == 429 or "rate limit" in said or (remaining is None and not said):
            return RATE_LIMIT_BACKOFF * 2.0**backoffs  # e.g. a secondary limit that names no wait
        return None  # a 403 that says something else than limits (or has quota left): a permission problem


def _header_int(headers: httpx.Headers, *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


class HttpClient:
    """GETs against one API root, with the cache, the governor and retries. Safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        *,
        auth_headers: Mapping[str, str],
        token_env: str,
        cache: HttpCache | None = None,
        timeout: float = 30.0,
        attempts: int = 5,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 8,
        ca_bundle: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_env = token_env
        self.has_token = bool(auth_headers)
        self.cache = cache
        self.attempts = attempts
        self.jitter = jitter
        self.stats = HttpStats()
        self.governor = Governor(clock, sleep, self.stats)
        self._origin = _origin(self.base_url)
        self._client = httpx.Client(
            headers={"User-Agent": f"devmetrics/{__version__}", **(headers or {}), **auth_headers},
            timeout=httpx.Timeout(timeout),
            trust_env=True,  # proxies and CA bundles (SSL_CERT_FILE, ...) from the environment
            follow_redirects=False,
            transport=transport,
            verify=_verify(ca_bundle),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    def close(self) -> None:
        self._client.close()

    def url(self, path: str, params: Mapping[str, str | int] | None = None) -> str:
        url = f"{self.base_url}/{path.lstrip('/')}"
        return f"{url}?{urlencode(dict(params))}" if params else url

    def pages(self, path: str, params: Mapping[str, str | int] | None = None) -> Iterator[Page]:
        """Every page of a list, lazily: a consumer that stops early requests no further page."""
        url: str | None = self.url(path, params)
        while url is not None:
            page = self.get(url)
            if page is None:  # only a missing_ok GET answers None
                return
            yield page
            url = page.next_url

    def items(self, path: str, params: Mapping[str, str | int] | None = None) -> Iterator[dict[str, Any]]:
        for page in self.pages(path, params):
            if not isinstance(page.data, list):
                raise DevmetricsError(f"{shown(page.url)}: expected a JSON list; check the API address")
            yield from (item for item in page.data if isinstance(item, dict))

    def get(self, url: str, *, missing_ok: bool = False) -> Page | None:
        """One GET (retried as needed); None for a 404 when `missing_ok`."""
        self._check_origin(url)
        cached = self.cache.get(url) if self.cache is not None else None
        response = self._send(url, cached, missing_ok=missing_ok)
        if response is None:
            return None
        if response.status_code == 304 and cached is not None:
            return Page(url, self._parse(url, cached.body), self._next(url, cached.link), True)
        body = response.content
        link = response.headers.get("link")
        next_page = response.headers.get("x-next-page", "").strip()
        if next_link(link) is None and next_page:
            link = f'<{with_page(url, next_page)}>; rel="next"'
        data = self._parse(url, body)
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if self.cache is not None and (etag or modified):
            self.cache.put(url, CachedResponse(etag, modified, link, body))
        return Page(url, data, self._next(url, link), False)

    def send(self, method: str, url: str, payload: Mapping[str, Any]) -> Any:
        """One write (POST, PATCH) with a JSON body; its answer's JSON. Retried on rate limits and server
        errors like a GET, but never after a timeout or a dropped connection: the write may have landed."""
        self._check_origin(url)
        response = self._send(url, None, missing_ok=False, method=method, payload=payload)
        if response is None:  # only a missing_ok request answers None
            raise DevmetricsError(f"{shown(url)}: no answer")
        return self._parse(url, response.content) if response.content else None

    # --- internals ------------------------------------------------------------------------------

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self._origin:  # never send the token to another host
            raise DevmetricsError(f"{shown(url)}: not under {shown(self.base_url)}; refusing to follow it")

    def _next(self, url: str, link: str | None) -> str | None:
        following = next_link(link)
        if following is not None:
            self._check_origin(following)
        return following

    def _parse(self, url: str, body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError as error:
            raise DevmetricsError(
                f"{shown(url)}: the answer is not valid JSON ({type(error).__name__} at byte "
                f"{getattr(error, 'pos', '?')}); check the API address (a proxy or login page may answer instead)"
            ) from None

    def _send(
        self,
        url: str,
        cached: CachedResponse | None,
        *,
        missing_ok: bool,
        method: str = "GET",
        payload: Mapping[str, Any] | None = None,
    ) -> httpx.Response | None:
        request_headers: dict[str, str] = {}
        if cached is not None and cached.etag:
            request_headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            request_headers["If-Modified-Since"] = cached.last_modified
        limit_backoffs = 0
        last = ""
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                with self.governor.lock:
                    self.stats.retries += 1
            self.governor.wait_turn()
            with self.governor.lock:
                self.stats.requests += 1
            try:
                response = self._client.request(method, url, headers=request_headers, json=payload)
            except httpx.TimeoutException:
                last = "timed out"
                if method != "GET":
                    raise DevmetricsError(f"{shown(url)}: {method} {last}; run it again (it may have landed)") from None
            except httpx.TransportError as error:
                if "CERTIFICATE_VERIFY_FAILED" in str(error):
                    raise DevmetricsError(
                        f"{shown(url)}: the server's TLS certificate is not trusted; set SSL_CERT_FILE (or "
                        "REQUESTS_CA_BUNDLE) to a CA bundle that contains its issuer"
                    ) from None
                last = f"connection failed ({type(error).__name__})"
                if method != "GET":
                    raise DevmetricsError(f"{shown(url)}: {method} {last}; run it again (it may have landed)") from None
            else:
                self.governor.note(response.headers)
                status = response.status_code
                if status == 304:
                    with self.governor.lock:
                        self.stats.not_modified += 1
                    if cached is not None:
                        return response
                    raise DevmetricsError(f"{shown(url)}: 304 Not Modified without a cached answer; run the scan again")
                if 200 <= status < 300:
                    return response
                if status == 404 and missing_ok:
                    return None
                if status in (403, 429):
                    delay = self.governor.limited_delay(response, limit_backoffs)
                    if delay is None:
                        raise self._refused(url, response)
                    limit_backoffs += 1
                    last = f"rate limited ({status})"
                    if attempt < self.attempts:
                        self.governor.pause(delay, f"{shown(url)}: {last}")
                    continue
                if status >= 500:
                    last = f"{status} {response.reason_phrase}".strip()
                else:
                    raise self._refused(url, response)
            if attempt < self.attempts:
                delay = 2.0 ** (attempt - 1) * (1.0 + self.jitter())
                log.info(
                    "%s: %s; retrying in %.1f s (attempt %d of %d)", shown(url), last, delay, attempt, self.attempts
                )
                self.governor.pause(delay, f"{shown(url)}: {last}")
        raise DevmetricsError(
            f"{shown(url)}: gave up after {self.attempts} attempts (last: {last}); try again later "
            "(or raise hosts.retries / hosts.timeout_seconds)"
        )

    def _refused(self, url: str, response: httpx.Response) -> RefusedError:
        status = response.status_code
        said = _message(response)
        detail = f" ({said})" if said else ""
        if status == 401:
            what = f"check {self.token_env}" if self.has_token else f"set {self.token_env} in the environment"
            return RefusedError(status, f"{shown(url)}: 401 Unauthorized{detail}; {what}")
        if status == 404:
            return RefusedError(
                status, f"{shown(url)}: 404 Not Found; check the repository name and that {self.token_env} may read it"
            )
        if status == 403:
            return RefusedError(status, f"{shown(url)}: 403 Forbidden{detail}; check that {self.token_env} may read it")
        return RefusedError(status, f"{shown(url)}: HTTP {status} {response.reason_phrase}{detail}; check the request")


class RefusedError(DevmetricsError):
    """The host refused a request (4xx other than rate limits); `status` lets a caller tell 403 from 404."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: `https://h` equals `https://h:443`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"https": 443, "http": 80}.get(scheme)


def _verify(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """TLS verification: a CA bundle file named by REQUESTS_CA_BUNDLE-style variables, else httpx's default
    (certifi, or SSL_CERT_FILE / SSL_CERT_DIR from the environment)."""
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as error:
        raise DevmetricsError(f"{ca_bundle}: cannot read the CA bundle ({error}); fix REQUESTS_CA_BUNDLE") from None


def ca_bundle_from(env: Mapping[str, str]) -> str | None:
    """The CA bundle of REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, unless SSL_CERT_FILE/SSL_CERT_DIR (which httpx
    reads itself) are set."""
    if env.get("SSL_CERT_FILE") or env.get("SSL_CERT_DIR"):
        return None
    return env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or None


def _message(response: httpx.Response) -> str:
    """The host's one-line explanation (`message` of a JSON error), shortened; the token is never in it."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str):
        return ""
    line = " ".join(message.split())
    return line[:MAX_SHOWN_MESSAGE]
