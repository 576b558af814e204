"""Fake GitHub and GitLab REST APIs served by pytest-httpserver on 127.0.0.1, with payloads shaped like
the documented ones: pagination (Link or x-next-page), ETags and 304s, rate-limit headers, a token check
and a switch that makes the server fail hard after N requests."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FAKE_TOKEN = "ghp_FAKEtoken1234567890SECRET"
BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z


def iso(seconds: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Route = Callable[[Request, re.Match[str]], Any]


@dataclass
class FakeApi:
    """A router on an HTTPServer: routes return JSON-able data (lists are paginated) or a Response."""

    server: HTTPServer
    prefix: str = ""
    token: str | None = None
    auth_header: str = "Authorization"
    style: str = "link"  # link (GitHub) or next-page (GitLab)
    per_page_default: int = 30
    max_per_page: int = 100
    fail_after: int | None = None  # every request after this many answers 500
    requests: list[str] = field(default_factory=list)
    raw_uris: list[str] = field(default_factory=list)  # as sent, percent-encoding kept
    not_modified: int = 0
    routes: list[tuple[re.Pattern[str], Route]] = field(default_factory=list)
    extra_headers: Callable[[int], dict[str, str]] | None = None  # request number -> headers

    def install(self) -> FakeApi:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)
        return self

    def route(self, pattern: str, function: Route) -> None:
        self.routes.append((re.compile(f"^{self.prefix}{pattern}$"), function))

    @property
    def base_url(self) -> str:
        return self.server.url_for(self.prefix).rstrip("/")

    def handle(self, request: Request) -> Response:
        self.requests.append(request.full_path.rstrip("?"))
        self.raw_uris.append(str(request.environ.get("REQUEST_URI", "")))
        if self.fail_after is not None and len(self.requests) > self.fail_after:
            return Response("boom", status=500)
        if self.token is not None and not self._authorised(request):
            return _json({"message": "Bad credentials"}, 401)
        for pattern, function in self.routes:
            match = pattern.match(request.path)
            if match:
                result = function(request, match)
                if isinstance(result, Response):
                    return result
                return self._answer(request, result)
        return _json({"message": "Not Found"}, 404)

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get(self.auth_header, "")
        return given in (f"Bearer {self.token}", self.token)

    def _answer(self, request: Request, data: Any) -> Response:
        headers: dict[str, str] = {}
        if isinstance(data, list):
            per_page = min(self.max_per_page, int(request.args.get("per_page", self.per_page_default)))
            page = int(request.args.get("page", "1"))
            pages = max(1, -(-len(data) // per_page))
            data = data[(page - 1) * per_page : page * per_page]
            if page < pages:
                query = [(k, v) for k, v in parse_qsl(request.query_string.decode()) if k != "page"]
                following = f"{self.server.url_for(request.path)}?{urlencode([*query, ('page', str(page + 1))])}"
                if self.style == "link":
                    headers["Link"] = f'<{following}>; rel="next", <{following}>; rel="last"'
                else:
                    headers["x-next-page"] = str(page + 1)
            elif self.style != "link":
                headers["x-next-page"] = ""
        body = json.dumps(data, sort_keys=True).encode()
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:20]}"'
        if self.extra_headers is not None:
            headers.update(self.extra_headers(len(self.requests)))
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            kept = {k: v for k, v in headers.items() if k not in ("Link", "x-next-page")}
            return Response(status=304, headers={"ETag": etag, **kept})
        return Response(body, status=200, headers={"ETag": etag, "Content-Type": "application/json", **headers})


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data), status=status, headers={"Content-Type": "application/json"})


# --- GitHub ----------------------------------------------------------------------------------------------


def gh_user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10_000, "type": kind, "node_id": f"U_{login}"}


@dataclass
class GitHubPull:
    """One pull request of the fake GitHub and everything its endpoints answer."""

    number: int
    updated_at: int
    author: str = "alice"
    state: str = "closed"  # open, closed; merged when merged_at is set
    merged: bool = True
    draft: bool = False
    body: str = "Implements the thing."
    labels: tuple[str, ...] = ()
    reviews: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    issue_comments: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)

    def created_at(self) -> int:
        return self.updated_at - 86_400

    def listed(self) -> dict[str, Any]:
        merged_at = iso(self.updated_at - 60) if self.merged else None
        return {
            "id": 1000 + self.number,
            "node_id": f"PR_{self.number}",
            "number": self.number,
            "state": "closed" if self.merged else self.state,
            "title": f"Change {self.number}",
            "body": self.body,
            "user": gh_user(self.author),
            "labels": [{"id": i, "name": name} for i, name in enumerate(self.labels)],
            "created_at": iso(self.created_at()),
            "updated_at": iso(self.updated_at),
            "closed_at": iso(self.updated_at - 60) if self.merged or self.state == "closed" else None,
            "merged_at": merged_at,
            "merge_commit_sha": f"{self.number:040x}",
            "draft": self.draft,
            "head": {"ref": f"feature/{self.number}", "sha": f"{self.number + 7:040x}"},
            "base": {"ref": "main", "sha": "0" * 40},
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.listed(),
            "merged": self.merged,
            "merged_by": gh_user("maintainer") if self.merged else None,
            "comments": len(self.issue_comments),
            "review_comments": len(self.review_comments),
            "commits": len(self.commits),
            "additions": 10 * self.number,
            "deletions": self.number,
            "changed_files": 1 + self.number % 5,
        }


def github_pull(number: int, updated_at: int, *, reviews: int = 1, comments: int = 1) -> GitHubPull:
    """A merged pull request with `reviews` approvals by bob and `comments` inline comments on it."""
    pull = GitHubPull(number, updated_at, commits=[f"{number * 1000 + i:040x}" for i in range(2)])
    for i in range(reviews):
        review_id = number * 100 + i
        pull.reviews.append(
            {
                "id": review_id,
                "node_id": f"PRR_{review_id}",
                "user": gh_user("bob"),
                "body": "Looks good" if i == 0 else "",
                "state": "APPROVED" if i == reviews - 1 else "COMMENTED",
                "submitted_at": iso(updated_at - 3600 + i),
                "commit_id": pull.commits[-1],
            }
        )
    for i in range(comments):
        comment_id = number * 100 + i
        pull.review_comments.append(
            {
                "id": comment_id,
                "node_id": f"PRRC_{comment_id}",
                "pull_request_review_id": number * 100,
                "path": f"src/file{i}.py",
                "user": gh_user("bob"),
                "body": "Why this?",
                "created_at": iso(updated_at - 3700 + i),
            }
        )
    pull.issue_comments.append(
        {
            "id": number * 100 + 99,
            "node_id": f"IC_{number}",
            "user": gh_user("renovate[bot]", "Bot"),
            "body": "CI passed",
            "created_at": iso(updated_at - 4000),
        }
    )
    pull.timeline = [
        {
            "id": number * 10 + 1,
            "node_id": f"RRE_{number}",
            "event": "review_requested",
            "actor": gh_user("alice"),
            "created_at": iso(updated_at - 5000),
        },
        {
            "id": number * 10 + 2,
            "node_id": f"RFR_{number}",
            "event": "ready_for_review",
            "actor": gh_user("alice"),
            "created_at": iso(updated_at - 4900),
        },
        {"event": "committed", "sha": pull.commits[0]},
        {
            "id": number * 10 + 3,
            "node_id": f"LE_{number}",
            "event": "labeled",
            "actor": gh_user("alice"),
            "created_at": iso(updated_at - 4800),
        },
        {
            "id": number * 10 + 4,
            "node_id": f"ME_{number}",
            "event": "merged",
            "actor": gh_user("maintainer"),
            "created_at": iso(updated_at - 60),
        },
    ]
    return pull


@dataclass
class FakeGitHub:
    api: FakeApi
    repos: dict[str, dict[int, GitHubPull]] = field(default_factory=dict)
    orgs: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def start(cls, server: HTTPServer, *, token: str | None = FAKE_TOKEN, prefix: str = "") -> FakeGitHub:
        fake = cls(FakeApi(server, prefix=prefix, token=token))
        fake.api.route(r"/orgs/([^/]+)/repos", fake._org_repos)
        fake.api.route(r"/repos/([^/]+/[^/]+)/pulls", fake._pulls)
        fake.api.route(r"/repos/([^/]+/[^/]+)/pulls/(\d+)", lambda r, m: fake._pull(m).detail())
        fake.api.route(r"/repos/([^/]+/[^/]+)/pulls/(\d+)/reviews", lambda r, m: fake._pull(m).reviews)
        fake.api.route(r"/repos/([^/]+/[^/]+)/pulls/(\d+)/comments", lambda r, m: fake._pull(m).review_comments)
        fake.api.route(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", lambda r, m: fake._pull(m).issue_comments)
        fake.api.route(r"/repos/([^/]+/[^/]+)/issues/(\d+)/timeline", lambda r, m: fake._pull(m).timeline)
        fake.api.route(
            r"/repos/([^/]+/[^/]+)/pulls/(\d+)/commits", lambda r, m: [{"sha": s} for s in fake._pull(m).commits]
        )
        fake.api.install()
        return fake

    def add(self, owner_name: str, pulls: list[GitHubPull]) -> None:
        self.repos.setdefault(owner_name, {}).update({pull.number: pull for pull in pulls})

    def minimum_requests(self, owner_name: str, per_page: int = 100) -> int:
        """List pages plus each pull request's endpoint pages: what a first full pass must ask for."""
        pulls = self.repos[owner_name].values()

        def pages(n: int) -> int:
            return max(1, -(-n // per_page))

        endpoints = sum(
            1
            + pages(len(p.reviews))
            + pages(len(p.review_comments))
            + pages(len(p.issue_comments))
            + pages(len(p.timeline))
            + pages(len(p.commits))
            for p in pulls
        )
        return pages(len(pulls)) + endpoints

    def _org_repos(self, request: Request, match: re.Match[str]) -> Any:
        if match[1] not in self.orgs:
            return _json({"message": "Not Found"}, 404)
        return [{"full_name": name, "name": name.split("/")[1]} for name in self.orgs[match[1]]]

    def _pulls(self, request: Request, match: re.Match[str]) -> Any:
        if match[1] not in self.repos:
            return _json({"message": "Not Found"}, 404)
        pulls = sorted(self.repos[match[1]].values(), key=lambda p: (p.updated_at, p.number), reverse=True)
        return [pull.listed() for pull in pulls]

    def _pull(self, match: re.Match[str]) -> GitHubPull:
        return self.repos[match[1]][int(match[2])]


# --- GitLab ----------------------------------------------------------------------------------------------


def gl_user(username: str, *, bot: bool | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": sum(map(ord, username)), "username": username, "name": username.title()}
    if bot is not None:
        user["bot"] = bot
    return user


@dataclass
class GitLabMergeRequest:
    iid: int
    updated_at: int
    author: dict[str, Any] = field(default_factory=lambda: gl_user("carol"))
    state: str = "merged"
    approvers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    labels: tuple[str, ...] = ("backend",)

    def listed(self) -> dict[str, Any]:
        merged = self.state == "merged"
        return {
            "id": 50_000 + self.iid,
            "iid": self.iid,
            "project_id": 7,
            "title": f"MR {self.iid}",
            "description": "Generated with Claude Code",
            "state": self.state,
            "created_at": iso(self.updated_at - 7200).replace("Z", ".123Z"),
            "updated_at": iso(self.updated_at).replace("Z", ".456Z"),
            "merged_at": iso(self.updated_at - 10) if merged else None,
            "closed_at": None,
            "merged_by": gl_user("dave") if merged else None,
            "merge_user": gl_user("dave") if merged else None,
            "author": self.author,
            "source_branch": f"topic-{self.iid}",
            "target_branch": "main",
            "sha": f"{self.iid + 5:040x}",
            "merge_commit_sha": f"{self.iid + 9:040x}" if merged else None,
            "squash_commit_sha": None,
            "draft": False,
            "work_in_progress": False,
            "labels": list(self.labels),
        }

    def detail(self) -> dict[str, Any]:
        return {**self.listed(), "changes_count": "3"}


def gitlab_merge_request(iid: int, updated_at: int) -> GitLabMergeRequest:
    """A merged MR: two versions (rework), a diff note, a discussion note, system notes, one approval."""
    mr = GitLabMergeRequest(iid, updated_at, commits=[f"{iid * 1000 + i:040x}" for i in range(3)])
    erin = gl_user("erin")
    mr.approvers = [{"user": erin}]
    note_id = iid * 100
    mr.notes = [
        {"id": note_id + 1, "type": None, "system": True, "body": "requested review from @erin", "author": mr.author,
         "created_at": iso(updated_at - 7000)},
        {"id": note_id + 2, "type": "DiffNote", "system": False, "body": "Off by one?", "author": erin,
         "created_at": iso(updated_at - 6000), "position": {"new_path": "app/model.rb", "old_path": "app/model.rb"}},
        {"id": note_id + 3, "type": "DiscussionNote", "system": False, "body": "Fixed", "author": mr.author,
         "created_at": iso(updated_at - 5000)},
        {"id": note_id + 4, "type": None, "system": True, "body": "added 1 commit", "author": mr.author,
         "created_at": iso(updated_at - 4990)},
        {"id": note_id + 5, "type": None, "system": True, "body": "approved this merge request", "author": erin,
         "created_at": iso(updated_at - 100)},
        {"id": note_id + 6, "type": None, "system": False, "body": "LGTM", "author": gl_user("project_7_bot_x1"),
         "created_at": iso(updated_at - 90)},
    ]  # fmt: skip
    mr.versions = [
        {"id": iid * 10 + 2, "head_commit_sha": mr.commits[2], "created_at": iso(updated_at - 4990)},
        {"id": iid * 10 + 1, "head_commit_sha": mr.commits[1], "created_at": iso(updated_at - 6500)},
    ]
    return mr


@dataclass
class FakeGitLab:
    api: FakeApi
    projects: dict[str, dict[int, GitLabMergeRequest]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def start(cls, server: HTTPServer, *, token: str | None = FAKE_TOKEN, max_per_page: int = 100) -> FakeGitLab:
        api = FakeApi(server, prefix="/api/v4", token=token, auth_header="PRIVATE-TOKEN", style="next-page")
        api.max_per_page = max_per_page
        fake = cls(api)
        mr = r"/projects/(.+)/merge_requests/(\d+)"
        api.route(r"/groups/(.+)/projects", fake._group_projects)
        api.route(r"/projects/(.+)/merge_requests", fake._merge_requests)
        api.route(mr, lambda r, m: fake._mr(m).detail())
        api.route(mr + "/approvals", lambda r, m: {"approved": True, "approved_by": fake._mr(m).approvers})
        api.route(mr + "/notes", lambda r, m: fake._mr(m).notes)
        api.route(mr + "/versions", lambda r, m: fake._mr(m).versions)
        api.route(mr + "/commits", lambda r, m: [{"id": sha, "short_id": sha[:8]} for sha in fake._mr(m).commits])
        api.install()
        return fake

    def add(self, path: str, mrs: list[GitLabMergeRequest]) -> None:
        self.projects.setdefault(path, {}).update({mr.iid: mr for mr in mrs})

    def _group_projects(self, request: Request, match: re.Match[str]) -> Any:
        if match[1] not in self.groups:
            return _json({"message": "404 Group Not Found"}, 404)
        return [{"id": i, "path_with_namespace": path} for i, path in enumerate(self.groups[match[1]])]

    def _merge_requests(self, request: Request, match: re.Match[str]) -> Any:
        if match[1] not in self.projects:
            return _json({"message": "404 Project Not Found"}, 404)
        after = request.args.get("updated_after")
        mrs = sorted(self.projects[match[1]].values(), key=lambda mr: (mr.updated_at, mr.iid))
        if after is not None:
            mrs = [mr for mr in mrs if iso(mr.updated_at) >= after]
        return [mr.listed() for mr in mrs]

    def _mr(self, match: re.Match[str]) -> GitLabMergeRequest:
        return self.projects[match[1]][int(match[2])]
