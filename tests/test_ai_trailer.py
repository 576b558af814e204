"""The AI-Assisted trailer hook called as `main(argv)`: policies, detection, sources, no duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from devmetrics.analyzers.trailers import parse_trailers
from devmetrics.hooks import ai_trailer
from tests.hook_helpers import AGENT_VARIABLES, init_repo


@pytest.fixture
def message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = init_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    for variable in AGENT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return repo / ".git" / "COMMIT_EDITMSG"


def hook(stage: str, policy: str, file: Path, *rest: str) -> int:
    return ai_trailer.main(["--stage", stage, "--policy", policy, str(file), *rest])


def trailers(file: Path) -> list[tuple[str, str]]:
    text = "".join(line for line in file.read_text().splitlines(keepends=True) if not line.startswith("#"))
    return [item for item in parse_trailers(text) if item[0].lower() == "ai-assisted"]


def test_auto_writes_the_override_once(message: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVMETRICS_AI_TOOL", "claude-code (opus-4.5)")
    message.write_text("Add the parser\n\nIt reads tokens.\n")
    assert hook("prepare-commit-msg", "auto", message, "message") == 0
    assert hook("commit-msg", "auto", message) == 0
    assert trailers(message) == [("AI-Assisted", "claude-code (opus-4.5)")]
    assert message.read_text().startswith("Add the parser\n\nIt reads tokens.\n\nAI-Assisted:")


def test_auto_detects_agent_environments(message: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDECODE", "1")
    monkeypatch.setenv("ANTHROPIC_MODEL", "opus-4.5")
    message.write_text("Fix\n")
    assert hook("prepare-commit-msg", "auto", message) == 0
    assert trailers(message) == [("AI-Assisted", "claude-code (opus-4.5)")]


def test_auto_reads_an_ai_co_author_line(message: Path) -> None:
    message.write_text("Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>\n")
    assert hook("commit-msg", "auto", message) == 0
    found = trailers(message)
    assert len(found) == 1 and found[0][1].startswith("claude")
    assert "Co-authored-by: Claude <noreply@anthropic.com>" in message.read_text()


def test_an_existing_trailer_is_kept_even_against_detection(message: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_SANDBOX", "seatbelt")
    message.write_text("Fix\n\nAI-Assisted: no\n")
    assert hook("prepare-commit-msg", "auto", message, "commit", "HEAD") == 0  # an amend
    assert trailers(message) == [("AI-Assisted", "no")]


def test_require_fails_without_a_trailer_and_says_how(message: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message.write_text("Fix\n")
    assert hook("commit-msg", "require", message) == 1
    err = capsys.readouterr().err
    assert '--trailer "AI-Assisted: no"' in err and err.count("\n") == 1
    message.write_text("Fix\n\nAI-Assisted: aider (gpt-5)\n")
    assert hook("commit-msg", "require", message) == 0


def test_suggest_adds_a_hint_only_when_an_editor_opens(message: Path) -> None:
    message.write_text("\n# Please enter the commit message for your changes.\n")
    assert hook("prepare-commit-msg", "suggest", message) == 0
    text = message.read_text()
    assert ai_trailer.HINT_MARK in text and text.index(ai_trailer.HINT_MARK) < text.index("# Please")
    assert hook("prepare-commit-msg", "suggest", message) == 0
    assert message.read_text() == text  # never twice
    message.write_text("Fix\n")
    assert hook("prepare-commit-msg", "suggest", message, "message") == 0  # -m: no editor, the hint would stay
    assert message.read_text() == "Fix\n"


def test_commit_msg_removes_a_leftover_hint(message: Path) -> None:
    message.write_text(f"Fix\n{ai_trailer.HINT}")
    assert hook("commit-msg", "suggest", message) == 0
    assert message.read_text() == "Fix\n"


def test_fixup_and_merge_need_no_trailer(message: Path) -> None:
    message.write_text("fixup! Add the parser\n")
    assert hook("commit-msg", "require", message) == 0
    message.write_text("Merge branch 'topic'\n")
    assert hook("prepare-commit-msg", "require", message, "merge") == 0
    assert trailers(message) == []


def test_squash_messages_keep_one_trailer(message: Path) -> None:
    message.write_text(
        "# This is a combination of 2 commits.\nAdd the parser\n\nAI-Assisted: no\n\n"
        "# This is the commit message #2:\n\nTune it\n\nAI-Assisted: claude-code (opus-4.5)\n"
    )
    assert hook("prepare-commit-msg", "suggest", message, "squash") == 0
    assert trailers(message) == [("AI-Assisted", "claude-code (opus-4.5)")]
    assert message.read_text().count("AI-Assisted") == 1


def test_a_bad_override_is_a_usage_error(message: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVMETRICS_AI_TOOL", "claude: (opus")
    message.write_text("Fix\n")
    assert hook("commit-msg", "auto", message) == 2
    assert message.read_text() == "Fix\n"


def test_off_does_nothing_and_config_sets_the_policy(message: Path) -> None:
    message.write_text("Fix\n")
    assert hook("commit-msg", "off", message) == 0
    (message.parent.parent / "devmetrics.toml").write_text('[hooks]\nai_trailer = "require"\n')
    assert ai_trailer.main(["--stage", "commit-msg", str(message)]) == 1
