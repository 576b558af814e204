"""Who is who: e-mails merged into identities, their kind (person, bot, agent), team and pseudonym.

Names and e-mails arrive after .mailmap. An identity's key is its normalised e-mail: lower case, and a GitHub
noreply address `12345+login@users.noreply.github.com` becomes `login@users.noreply.github.com` (keyed by
login, so both forms GitHub has used are one identity). `[[identities.aliases]]` make several e-mails one
identity, keyed by the alias's first e-mail. A pseudonym is a stable short hash of the key and a salt.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devmetrics.config import IdentitiesConfig, TeamConfig

PERSON, BOT, AGENT = "person", "bot", "agent"
KIND_RANK = {PERSON: 0, BOT: 1, AGENT: 2}  # one agent or bot observation outweighs person ones
SALT_ENV = "DEVMETRICS_PSEUDONYM_SALT"
PSEUDONYM_PREFIX = "person-"
PSEUDONYM_DIGITS = 10
_GITHUB_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@+]+)@users\.noreply\.github\.com$")
_NAME_AND_EMAIL = re.compile(r"^\s*(?P<name>[^<]*?)\s*<(?P<email>[^<>]*)>\s*$")
# The committer of a merge made in GitHub's web interface: not a person, says only "merged on the web".
WEB_FLOW_EMAIL = "noreply@github.com"


def normalize_email(email: str) -> str:
    address = email.strip().lower()
    found = _GITHUB_NOREPLY.match(address)
    return f"{found['login']}@users.noreply.github.com" if found else address


def split_person(value: str) -> tuple[str, str] | None:
    """("Name", "e-mail") of a trailer value written `Name <e-mail>`, else None."""
    found = _NAME_AND_EMAIL.match(value)
    return (found["name"], found["email"]) if found else None


def looks_automated(name: str, email: str) -> bool:
    """Bots by GitHub's convention (`login[bot]`) and GitHub's web-flow committer."""
    return "[bot]" in name.lower() or "[bot]@" in email.lower() or email.strip().lower() == WEB_FLOW_EMAIL


def pseudonym_salt(config: IdentitiesConfig) -> str:
    """The environment's salt wins over the file's, so the salt can stay out of shared files."""
    return os.environ.get(SALT_ENV) or config.pseudonym_salt


def pseudonym(key: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}\0{key}".encode()).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_DIGITS]


@dataclass(frozen=True)
class Identity:
    """One `identities` row."""

    key: str
    display_name: str
    kind: str
    team: str | None
    pseudonym: str


class IdentityResolver:
    """Maps an e-mail to its identity key, applying the configured aliases."""

    def __init__(self, config: IdentitiesConfig) -> None:
        self._aliases: dict[str, str] = {}
        self._keys: dict[tuple[str, str], str] = {}
        self.alias_names: dict[str, str] = {}
        for alias in config.aliases:
            emails = [normalize_email(email) for email in alias.emails if email.strip()]
            if not emails:
                continue
            for email in emails:
                self._aliases.setdefault(email, emails[0])
            if alias.name:
                self.alias_names[emails[0]] = alias.name

    def key(self, email: str, name: str = "") -> str:
        found = self._keys.get((email, name))
        if found is None:
            normalized = normalize_email(email)
            found = self._aliases.get(normalized, normalized) if normalized else f"name:{name.strip().lower()}"
            self._keys[(email, name)] = found
        return found


class TeamMatcher:
    """The first `[[teams]]` entry with a member pattern matching one of an identity's e-mails."""

    def __init__(self, teams: Iterable[TeamConfig]) -> None:
        self._teams = [(team.name, tuple(member.strip().lower() for member in team.members)) for team in teams]

    def team_of(self, emails: Iterable[str]) -> str | None:
        addresses = [email.lower() for email in emails if email]
        for name, members in self._teams:
            if any(fnmatch.fnmatchcase(address, member) for address in addresses for member in members):
                return name
        return None


@dataclass
class IdentityBook:
    """Collects what the history says about each identity, then makes the `identities` rows."""

    resolver: IdentityResolver
    names: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (latest time, name)
    kinds: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # lower-case e-mail as written -> key

    def observe(self, name: str, email: str, when: int, kind: str) -> str:
        key = self.resolver.key(email, name)
        if email.strip():
            self.emails[email.strip().lower()] = key
            self.emails.setdefault(normalize_email(email), key)
        if name and (key not in self.names or when >= self.names[key][0]):
            self.names[key] = (when, name)
        if KIND_RANK[kind] >= KIND_RANK.get(self.kinds.get(key, PERSON), 0):
            self.kinds[key] = kind
        return key

    def identities(self, teams: TeamMatcher, salt: str) -> list[Identity]:
        emails_of: dict[str, list[str]] = {}
        for email, key in self.emails.items():
            emails_of.setdefault(key, []).append(email)
        rows = []
        for key in sorted(set(self.kinds) | set(self.names)):
            kind = self.kinds.get(key, PERSON)
            name = self.resolver.alias_names.get(key) or self.names.get(key, (0, key))[1]
            team = teams.team_of([key, *emails_of.get(key, [])]) if kind == PERSON else None
            shown = pseudonym(key, salt) if kind == PERSON else name
            rows.append(Identity(key, name, kind, team, shown))
        return rows
