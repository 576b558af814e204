"""Reading host payloads: times, accounts and tokens, shared by the GitHub and GitLab collectors.

Payloads are untrusted: a field of an unexpected type reads as missing instead of failing the scan.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Mapping
from typing import Any

from devmetrics.config import Config
from devmetrics.errors import ConfigError

GITLAB_BOT_NAME = re.compile(r"(?:project|group)_\w*_bot\w*")
GITHUB_TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
GITLAB_TOKEN_VARIABLES = ("GITLAB_TOKEN",)
GITHUB_NAME = re.compile(r"[\w.-]+/[\w.-]+")
GITLAB_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+")


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


def github_requested(config: Config, env: Mapping[str, str]) -> bool:
    """GitHub is collected with a token in the environment or repositories named in `[github]`."""
    return token_from(env, GITHUB_TOKEN_VARIABLES)[0] is not None or bool(config.github.orgs or config.github.repos)


def gitlab_requested(config: Config, env: Mapping[str, str]) -> bool:
    return token_from(env, GITLAB_TOKEN_VARIABLES)[0] is not None or bool(
        config.gitlab.groups or config.gitlab.projects
    )


def any_host_requested(config: Config, env: Mapping[str, str]) -> bool:
    """Whether the hosts stage has anything to do (decided without importing the HTTP client)."""
    return github_requested(config, env) or gitlab_requested(config, env)


def check_names(config: Config) -> None:
    """Refuse configured repository names that are not `owner/name` (GitHub) or `group/.../name` (GitLab)."""
    checks = (
        ("github.repos", config.github.repos, GITHUB_NAME, '"owner/name"'),
        ("gitlab.projects", config.gitlab.projects, GITLAB_PATH, '"group/name" (subgroups allowed)'),
        ("github.orgs", config.github.orgs, re.compile(r"[\w.-]+"), "an organisation or user name"),
        ("gitlab.groups", config.gitlab.groups, re.compile(r"[\w.-]+(?:/[\w.-]+)*"), "a group path"),
    )
    for key, names, pattern, shape in checks:
        for name in names:
            if not pattern.fullmatch(name):
                where = config.origins.get(key, config.source)
                raise ConfigError(f'{where}: {key}: "{name}" is not {shape}; correct it')
