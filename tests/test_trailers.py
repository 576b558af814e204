"""The Python trailer parser agrees with `git interpret-trailers --parse` (and `--no-divider`)."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devmetrics.analyzers.trailers import format_parsed, parse_trailers
from tests.repo_builder import git_env


def git_parse(message: str, *, divider: bool = True) -> str:
    command = ["git", "interpret-trailers", "--parse", *([] if divider else ["--no-divider"])]
    result = subprocess.run(command, input=message.encode(), capture_output=True, env=git_env(), check=True)
    return result.stdout.decode()


# --- named cases --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Fix parser\n\nCo-authored-by: Claude <noreply@anthropic.com>\n",
            [("Co-authored-by", "Claude <noreply@anthropic.com>")],
        ),
        ("Fix\n\nKey:value\nOther : spaced\n", [("Key", "value"), ("Other", "spaced")]),
        ("Only a title: with a colon\n", []),
        ("Fix\n\nprose line\nKey: v\n", []),  # a block must be all trailers...
        ("Fix\n\nprose\nmore prose\nSigned-off-by: A <a@x>\n", [("Signed-off-by", "A <a@x>")]),  # ...or 25% + git's
        ("Fix\n\nA: 1\nB: 2\n\n# a comment\n\n", [("A", "1"), ("B", "2")]),
        ("Fix\n\nA: folded\n  across\n\tlines\n", [("A", "folded across lines")]),
        ("Fix\n\nA: 1\n---\nB: 2\n", [("A", "1")]),
        ("Fix\n\nA: 1\n---x\nB: 2\n", []),
        ("Fix\n\nQuoted:\n\n    Co-authored-by: Claude <noreply@anthropic.com>\n", []),
        ("Fix\n\n> Co-authored-by: Claude <noreply@anthropic.com>\n", []),
        ("Fix\n\nTwo words: no\n", []),
        ("Fix\n\n(cherry picked from commit abc)\nA: 1\n", [("A", "1")]),
    ],
)
def test_named_cases_match_git(message: str, expected: list[tuple[str, str]]) -> None:
    assert list(parse_trailers(message)) == expected
    assert format_parsed(parse_trailers(message)) == git_parse(message)


def test_no_divider_reads_past_a_dashes_line_as_git_log_does() -> None:
    message = "Fix\n\nbody\n---\n\nA: 1\n"

    assert parse_trailers(message, divider=False) == (("A", "1"),)
    assert format_parsed(parse_trailers(message, divider=False)) == git_parse(message, divider=False)
    assert parse_trailers(message) == ()


# --- generated messages --------------------------------------------------------------------------------

WORDS = st.sampled_from(["fix", "the", "parser", "Claude", "Copilot", "für", "naïve", "x:y", "a-b", "#1", "(see)"])
KEYS = st.sampled_from(
    [
        "Co-authored-by",
        "Signed-off-by",
        "Reviewed-by",
        "AI-Assisted",
        "Key",
        "a",
        "X-1",
        "Two words",
        "-dash",
        "Bad_key",
    ]
)
VALUES = st.lists(WORDS, min_size=0, max_size=4).map(" ".join)
SEPARATOR_FORMS = st.sampled_from([": ", ":", " : ", ":  ", "\t: "])


def prose_line() -> st.SearchStrategy[str]:
    return st.lists(WORDS, min_size=1, max_size=6).map(" ".join)


def trailer_line() -> st.SearchStrategy[str]:
    return st.builds(lambda key, sep, value: f"{key}{sep}{value}", KEYS, SEPARATOR_FORMS, VALUES)


def special_line() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "Signed-off-by: Dev <dev@example.com>",
            "(cherry picked from commit 0123456789abcdef)",
            "Co-authored-by: Claude <noreply@anthropic.com>",
            "---",
            "--- a/file",
            "---x",
            "# a comment",
            "#Key: value",
            "Conflicts:",
            "\tpath/in/conflict.c",
            "",
            "   ",
            "\t",
            ":starts with colon",
            "> Co-authored-by: quoted <q@x>",
            "Key:value\r",
            "\u00e9t\u00e9: summer",
        ]
    )


def indented_line() -> st.SearchStrategy[str]:
    return st.builds(lambda indent, text: indent + text, st.sampled_from([" ", "  ", "\t", "    "]), prose_line())


LINES = st.one_of(prose_line(), trailer_line(), trailer_line(), special_line(), indented_line())
PARAGRAPH = st.lists(LINES, min_size=1, max_size=5).map("\n".join)


@st.composite
def messages(draw: st.DrawFn) -> str:
    subject = draw(st.one_of(prose_line(), trailer_line(), st.just("")))
    paragraphs = draw(st.lists(PARAGRAPH, min_size=0, max_size=4))
    gaps = draw(
        st.lists(st.sampled_from(["\n\n", "\n", "\n\n\n", "\n \n"]), min_size=len(paragraphs), max_size=len(paragraphs))
    )
    text = subject
    for gap, paragraph in zip(gaps, paragraphs, strict=True):
        text += gap + paragraph
    return text + draw(st.sampled_from(["\n", "", "\n\n", "\n# trailing comment\n"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=messages())
@example(message="Subject\n\nKey: a\n b\nprose\n\nSigned-off-by: x\n")
@example(message="\nKey: v\n")
@example(message="S\n\nSigned-off-by: a\nbad1\nbad2\nbad3\n")
@example(message="S\n\nSigned-off-by: a\nbad1\nbad2\nbad3\nbad4\n")
def test_parser_agrees_with_git_interpret_trailers(message: str) -> None:
    assert format_parsed(parse_trailers(message)) == git_parse(message)
    assert format_parsed(parse_trailers(message, divider=False)) == git_parse(message, divider=False)
