"""Host payloads are untrusted: any JSON in any field gives a record or None, never an exception, and the
readers agree with the documented shapes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from devmetrics.collectors import github, gitlab
from devmetrics.collectors.hostdata import epoch, github_account, gitlab_account

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
GITHUB_KEYS = ["number", "created_at", "updated_at", "merged_at", "closed_at", "user", "head", "base", "labels",
               "state", "title", "body", "draft", "node_id", "id", "merged_by", "additions", "commits", "event",
               "actor", "submitted_at", "commit_id", "pull_request_review_id", "path"]  # fmt: skip
GITLAB_KEYS = ["iid", "id", "created_at", "updated_at", "merged_at", "closed_at", "author", "state", "labels",
               "description", "changes_count", "merge_user", "system", "type", "body", "position",
               "approved_by"]  # fmt: skip
VALID_TIME = st.just("2024-05-01T10:00:00Z")


def payload(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), JSON | VALID_TIME | st.integers(1, 10**6), max_size=len(keys))


@settings(max_examples=300, deadline=None)
@given(payload(GITHUB_KEYS))
def test_github_readers_never_raise(item: dict[str, Any]) -> None:
    for details in (False, True):
        pr = github.pull_request(item, details=details)
        assert pr is None or (isinstance(pr.number, int) and pr.state in ("open", "closed", "merged"))
    review = github.review(item)
    assert review is None or review.state in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
    for kind in ("review", "issue"):
        comment = github.comment(item, kind)
        assert comment is None or comment.kind == kind
    event = github.event(item)
    assert event is None or event.event in github.TIMELINE_EVENTS


@settings(max_examples=300, deadline=None)
@given(payload(GITLAB_KEYS))
def test_gitlab_readers_never_raise(item: dict[str, Any]) -> None:
    for details in (False, True):
        mr = gitlab.merge_request(item, details=details)
        assert mr is None or mr.state in ("open", "closed", "merged")
    assert gitlab.note_comment(item) is None or item.get("system") is not True
    assert gitlab.note_event(item) is None or item.get("system") is True
    gitlab.version_event(item)
    gitlab.approval_reviews(item, [item])


def test_times_and_accounts() -> None:
    assert epoch("2024-05-01T10:00:00Z") == 1714557600
    assert epoch("2024-05-01T12:00:00.250+02:00") == 1714557600
    assert epoch("yesterday") is None and epoch(None) is None and epoch(5) is None
    assert github_account({"login": "dependabot[bot]", "type": "User"}) == ("dependabot[bot]", "Bot")
    assert github_account({"login": "acme", "type": "Organization"}) == ("acme", "Organization")
    assert github_account(None) == (None, None)
    assert gitlab_account({"username": "project_42_bot_3f9a"}) == ("project_42_bot_3f9a", "Bot")
    assert gitlab_account({"username": "group_7_bot", "bot": False}) == ("group_7_bot", "Bot")
    assert gitlab_account({"username": "renovate", "bot": True}) == ("renovate", "Bot")
    assert gitlab_account({"username": "frank"}) == ("frank", "User")
