"""Reading host payloads: times, accounts and tokens, shared by the GitHub and GitLab collectors.

Payloads are untrusted: a field of an unexpected type reads as missing instead of failing the scan.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping
from typing import Any

GITLAB_BOT_NAME = re.compile(r"(?:project|group)_\w*_bot\w*")


def epoch(value: object) -> int | None:
    """Epoch seconds of an ISO 8601 time (`2024-05-01T10:00:00Z`, `...T10:00:00.123+02:00`); None if absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())


def iso(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def items_of(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def github_account(user: object) -> tuple[str | None, str | None]:
    """(login, type) of a GitHub user object; `[bot]` logins are bots whatever the type says."""
    account = mapping(user)
    login, kind = text(account.get("login")), text(account.get("type"))
    if login is not None and login.endswith("[bot]"):
        kind = "Bot"
    return login, kind


def gitlab_account(user: object) -> tuple[str | None, str | None]:
    """(username, type) of a GitLab user object: Bot for `bot: true` or a project/group bot username."""
    account = mapping(user)
    login = text(account.get("username"))
    if not account:
        return None, None
    is_bot = account.get("bot") is True or (login is not None and GITLAB_BOT_NAME.fullmatch(login) is not None)
    return login, "Bot" if is_bot else "User"


def token_from(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str | None, str]:
    """(token, the variable it came from) from the first of `names` set; (None, first name) when none."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value, name
    return None, names[0]


def environment() -> Mapping[str, str]:
    return os.environ
