"""Real git repositories made commit by commit with `git commit`, scanned with the real CLI, and the
attribution rows read back: the tools of the attribution tests."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devmetrics.cli import main
from devmetrics.model import CommitRows, RepoRef
from devmetrics.store import Store
from tests.helpers import query
from tests.repo_builder import git_env

START = 1_750_000_000  # 2025-06-15: in the AI era, so unmarked commits are "human, not sure"
HUMAN = "Dana Developer <dana@example.com>"
TEST_CONFIG = '[scan]\nexecutor = "thread"\nworkers = 1\n\n[privacy]\nmin_group_size = 1\n'


def person(identity: str) -> tuple[str, str]:
    name, _, rest = identity.partition(" <")
    return name, rest.rstrip(">")


@dataclass
class GitRepo:
    """A repository in a temporary folder; every commit gets the next minute as its dates."""

    path: Path
    clock: int = START

    @classmethod
    def create(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        return repo

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, env=env or git_env(), check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {result.stderr}")
        return result.stdout

    def env(self, author: str, committer: str | None, when: int | None, committed: int | None) -> dict[str, str]:
        self.clock += 60
        env = git_env()
        a_name, a_email = person(author)
        c_name, c_email = person(committer or author)
        env.update(
            GIT_AUTHOR_NAME=a_name,
            GIT_AUTHOR_EMAIL=a_email,
            GIT_COMMITTER_NAME=c_name,
            GIT_COMMITTER_EMAIL=c_email,
            GIT_AUTHOR_DATE=f"{when or self.clock} +0000",
            GIT_COMMITTER_DATE=f"{committed or when or self.clock} +0000",
        )
        return env

    def commit(
        self,
        *paragraphs: str,
        author: str = HUMAN,
        committer: str | None = None,
        files: dict[str, str] | None = None,
        when: int | None = None,
        committed: int | None = None,
    ) -> str:
        """`git commit -m P1 -m P2 ...`: each paragraph as git writes it (so the last one holds the trailers)."""
        for name, content in (files or {}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            self.git("add", name)
        messages = [part for paragraph in paragraphs for part in ("-m", paragraph)]
        env = self.env(author, committer, when, committed)
        self.git("commit", "-q", "--allow-empty", "--no-verify", *messages, env=env)
        return self.head()

    def merge(self, branch: str, *paragraphs: str, author: str = HUMAN, committer: str | None = None) -> str:
        messages = [part for paragraph in paragraphs for part in ("-m", paragraph)] or ["--no-edit"]
        env = self.env(author, committer, None, None)
        self.git("merge", "-q", "--no-ff", *messages, branch, env=env)
        return self.head()

    def revert(self, sha: str, *, author: str = HUMAN) -> str:
        self.git("revert", "--no-edit", sha, env=self.env(author, None, None, None))
        return self.head()

    def branch(self, name: str, start: str = "main") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


@dataclass
class Workspace:
    """A folder holding repositories, a config file and a database, scanned with the real CLI."""

    root: Path
    config: str = TEST_CONFIG
    repos: list[GitRepo] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.root / "devmetrics.db"

    @property
    def config_path(self) -> Path:
        return self.root / "devmetrics.toml"

    def repo(self, name: str = "repo") -> GitRepo:
        made = GitRepo.create(self.root / name)
        self.repos.append(made)
        return made

    def write_config(self, extra: str = "") -> None:
        self.config_path.write_text(self.config + extra)

    def cli(self, *args: str) -> int:
        if not self.config_path.exists():
            self.write_config()
        return main(["--quiet", "--config", str(self.config_path), *args])

    def scan(self, *repos: GitRepo, all_refs: bool = False) -> None:
        targets = [str(repo.path) for repo in (repos or tuple(self.repos))]
        assert self.cli("scan", *targets, "--db", str(self.db), *(["--all-refs"] if all_refs else [])) == 0

    def row(self, sha: str) -> Attribution:
        rows = query(
            self.db,
            "SELECT class, tool, model, confidence, evidence, author_identity, credited_to, excluded, rules_hash "
            "FROM attributions WHERE sha = ?",
            [sha],
        )
        assert len(rows) == 1, f"{sha}: {len(rows)} attribution rows"
        cls, tool, model, confidence, evidence, author, credited, excluded, rules_hash = rows[0]
        return Attribution(cls, tool, model, confidence, json.loads(evidence), author, credited, excluded, rules_hash)


@dataclass(frozen=True)
class Attribution:
    cls: str
    tool: str | None
    model: str | None
    confidence: float
    evidence: list[dict[str, Any]]
    author_identity: str
    credited_to: str | None
    excluded: str | None
    rules_hash: str

    @property
    def rules(self) -> list[str]:
        return [item["rule"] for item in self.evidence]

    @property
    def own_rules(self) -> list[str]:
        return [item["rule"] for item in self.evidence if not item.get("via")]

    @property
    def inherited_from(self) -> set[str]:
        return {item["via"] for item in self.evidence if item.get("via")}


# --- synthetic stores: many commits written straight into a real SQLite store --------------------------

NOREPLY = "users.noreply.github.com"
SYNTHETIC_START = 1_700_000_000
HUMANS = tuple((f"Developer {number}", f"dev{number}@example.com") for number in range(40))
AGENTS = (
    ("Copilot", f"198982749+Copilot@{NOREPLY}"),
    ("claude[bot]", f"41898282+claude[bot]@{NOREPLY}"),
    ("Devin AI", f"158243242+devin-ai-integration[bot]@{NOREPLY}"),
    ("dependabot[bot]", f"49699333+dependabot[bot]@{NOREPLY}"),
    ("Developer 1 (aider)", "dev1@example.com"),
    ("CI", "ci@tools.example"),
)
COMMITTERS = (("GitHub", "noreply@github.com"), ("CI", "ci@tools.example"), ("Developer 2 (aider)", "dev2@example.com"))
TRAILERS = (
    ("Co-Authored-By", "Claude Opus 4.5 <noreply@anthropic.com>"),
    ("Co-authored-by", f"Copilot <223556219+Copilot@{NOREPLY}>"),
    ("Co-authored-by", "aider (gpt-4o) <aider@aider.chat>"),
    ("Co-authored-by", "Pat Pair <pat@pair.example>"),
    ("Co-authored-by", "CI <ci@tools.example>"),
    ("Co-authored-by", "Developer 7 <dev7@example.com>"),
    ("Signed-off-by", "Developer 3 <dev3@example.com>"),
    ("AI-Assisted", "no"),
    ("AI-Assisted", "Claude Code (Opus 4.5)"),
)
BODIES = (
    "AI usage: none",
    "Claude found and changed it.",
    "🤖 Generated with [Claude Code](https://claude.ai/code)",
    "No AI was used.",
    "> Co-authored-by: Claude <noreply@anthropic.com>",
)
BRANCHES = ("claude/issue-7-20250101-1200", "copilot/fix-tests", "topic/search", "cursor-style", "codex/speed-up")
WORDS = ("fix", "the", "parser", "so", "that", "every", "commit", "keeps", "its", "trailers", "and", "report", "reads")


@dataclass
class _History:
    rng: Any
    rows: list[tuple[object, ...]] = field(default_factory=list)
    shas: list[str] = field(default_factory=list)

    def add(self, parents: list[str], subject: str, people: tuple[tuple[str, str], tuple[str, str]], body: list[str],
            trailers: list[tuple[str, str]]) -> str:  # fmt: skip
        sha = f"{len(self.shas):040x}"
        when = SYNTHETIC_START + len(self.shas) * 600
        paragraphs = [subject, *body, *(["\n".join(f"{k}: {v}" for k, v in trailers)] if trailers else [])]
        (a_name, a_email), (c_name, c_email) = people
        rng = self.rng
        self.rows.append(
            (sha, a_name, a_email, when, 0, c_name, c_email, when, 0, subject, "\n\n".join(paragraphs) + "\n",
             json.dumps(trailers), " ".join(parents), int(len(parents) > 1), rng.randint(1, 200),
             rng.randint(0, 100), rng.randint(1, 8), None, None)
        )  # fmt: skip
        self.shas.append(sha)
        return sha

    def commit(self, parent: str) -> str:
        rng = self.rng
        author = rng.choice(AGENTS) if rng.random() < 0.12 else rng.choice(HUMANS)
        committer = rng.choice(COMMITTERS) if rng.random() < 0.15 else author
        subject = ("aider: " if rng.random() < 0.03 else "") + " ".join(rng.choices(WORDS, k=rng.randint(3, 7)))
        body = [rng.choice(BODIES) if rng.random() < 0.15 else " ".join(rng.choices(WORDS, k=12))] * rng.randint(0, 1)
        trailers = [rng.choice(TRAILERS) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
        return self.add([parent] if parent else [], subject, (author, committer), body, trailers)

    def merge(self, main: str, side: str, subject: str = "") -> str:
        rng = self.rng
        merger = rng.choice(HUMANS[:3] + AGENTS[:1])
        subject = subject or f"Merge pull request #{len(self.shas)} from octo/{rng.choice(BRANCHES)}"
        trailers = [("AI-Assisted", "Cursor")] if rng.random() < 0.2 else []
        return self.add([main, side], subject, (merger, merger), [], trailers)


MAX_OPEN_BRANCHES = 8


def synthetic_history(
    count: int, seed: int = 11, merge_share: float = 0.05
) -> tuple[list[tuple[object, ...]], list[str]]:
    """`commits` rows of a history and its SHAs: topic branches cut from main and merged back as pull requests,
    stacked branches merged into the branch they were cut from, main merged into branches to update them."""
    import random

    history = _History(random.Random(seed))
    rng = history.rng
    main = history.commit("")
    branches: list[str] = []
    while len(history.shas) < count:
        roll = rng.random()
        if branches and (roll < merge_share or len(branches) > MAX_OPEN_BRANCHES):
            index = 0 if rng.random() < 0.7 else rng.randrange(len(branches))  # mostly the oldest
            kind = rng.random()
            if kind < 0.85:
                main = history.merge(main, branches.pop(index))
            elif kind < 0.93:
                stacked = branches[index]
                for _ in range(rng.randint(1, 3)):
                    stacked = history.commit(stacked)
                branches[index] = history.merge(branches[index], stacked)
            else:
                branches[index] = history.merge(branches[index], main, "Merge branch 'main' into topic")
        elif roll < 0.35:
            if branches and rng.random() < 0.8:
                index = rng.randrange(len(branches))
                branches[index] = history.commit(branches[index])
            else:
                branches.append(history.commit(main))
        else:
            main = history.commit(main)
    if history.shas[-1] != main:
        history.commit(main)  # the last commit is HEAD, on the main line
    return history.rows, history.shas


def synthetic_store(rows: list[tuple[object, ...]], shas: list[str], folder: Path) -> Store:
    """A real store holding the rows as one repository's scanned history, all reachable."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(folder / "synthetic.db")
    ref = RepoRef("synthetic/repo", str(folder / "repo"), "repo", None, None, None, False, False)
    with store.transaction():
        repo_id = store.upsert_repo(ref)
        store.write_commits(repo_id, CommitRows(rows, []))
        store.replace_reachable(repo_id, set(shas))
        store.set_sync_state(repo_id, "git", "history", {"tips": {"HEAD": shas[-1]}})
        store.mark_repo_scanned(repo_id, shas[-1])
    return store
