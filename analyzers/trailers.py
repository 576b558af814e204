"""A trailer parser that reads a message exactly as `git interpret-trailers --parse` does (default config).

Commit trailers in the store were parsed by git itself (`%(trailers:only,unfold)`); this parser is for text
that does not come from git: pull-request bodies and the messages a commit-msg hook sees. It follows git's
trailer.c (2.39): the trailer block is the last paragraph, after the title paragraph and before a `---`
divider; trailing blank and comment lines are ignored; a block counts when all its lines are trailers, or
when it holds a git-generated line (`Signed-off-by: `, `(cherry picked from commit `) and at least 25% of
its lines are trailers. Lines starting with whitespace continue the trailer above them. git's character
classes are ASCII-only: whitespace is space, tab, CR and LF; letters and digits are ASCII.
"""

from __future__ import annotations

COMMENT_CHAR = "#"
SEPARATORS = ":"
GIT_GENERATED_PREFIXES = ("Signed-off-by: ", "(cherry picked from commit ")
CUT_LINE = "------------------------ >8 ------------------------"
_GIT_SPACE = " \t\n\r"
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

Trailer = tuple[str, str]


def parse_trailers(message: str, *, divider: bool = True) -> tuple[Trailer, ...]:
    """The (key, value) trailers of `message`, values unfolded, as `git interpret-trailers --parse` prints them.

    `divider=False` is git's `--no-divider` (a `---` line does not end the message), which is how
    `git log --format=%(trailers)` reads commit messages.
    """
    text = message.split("\0", 1)[0]  # git reads C strings
    end = len(text) if not divider else _patch_start(text)
    trailer_end = end - _ignored_tail(text, end)
    trailer_start = _trailer_start(text, trailer_end)
    trailers: list[Trailer] = []
    for entry in _entries(text[trailer_start:trailer_end]):
        if entry.startswith(COMMENT_CHAR):
            continue
        position = _separator_position(entry)
        if position >= 1:
            key = _git_strip(entry[:position])
            value = _unfold(_git_strip(entry[position + 1 :]))
            trailers.append((key, value))
    return tuple(trailers)


def format_parsed(trailers: tuple[Trailer, ...]) -> str:
    """The trailers as `git interpret-trailers --parse` prints them: one `key: value` line each."""
    return "".join(f"{key}: {value}\n" for key, value in trailers)


# --- git's character classes ----------------------------------------------------------------------------


def _is_space(char: str) -> bool:
    return char != "" and char in _GIT_SPACE


def _git_strip(value: str) -> str:
    return value.strip(_GIT_SPACE)


def _is_blank_line(text: str, start: int) -> bool:
    position = start
    while position < len(text) and text[position] != "\n" and _is_space(text[position]):
        position += 1
    return position >= len(text) or text[position] == "\n"


# --- lines --------------------------------------------------------------------------------------------


def _next_line(text: str, start: int) -> int:
    newline = text.find("\n", start)
    return len(text) if newline < 0 else newline + 1


def _last_line(text: str, length: int) -> int:
    """Start of the last line of text[:length]; -1 when length is 0 (a final newline belongs to its line)."""
    if length == 0:
        return -1
    if length == 1:
        return 0
    newline = text.rfind("\n", 0, length - 1)
    return newline + 1


def _patch_start(text: str) -> int:
    """Where a `---` divider line (followed by whitespace or the end) starts, else the end of the text."""
    start = 0
    while start < len(text):
        if text.startswith("---", start) and (start + 3 >= len(text) or _is_space(text[start + 3])):
            return start
        start = _next_line(text, start)
    return len(text)


def _cut_line_position(text: str, length: int) -> int:
    """git's wt_status_locate_end: the scissors line (`# ------------------------ >8 ---…`) ends the message."""
    pattern = f"\n{COMMENT_CHAR} {CUT_LINE}"
    if text.startswith(pattern[1:]):
        return 0
    found = text.find(pattern)
    return min(length, found + 1) if found >= 0 else length


def _ignored_tail(text: str, length: int) -> int:
    """git's ignore_non_trailer: how many bytes of trailing comments, blank lines and an old
    `Conflicts:` block end text[:length]."""
    run_start = 0  # start of the current run of ignorable lines; 0 means none (as in git)
    in_conflicts = False
    cutoff = _cut_line_position(text, length)
    line = 0
    while line < cutoff:
        newline = text.find("\n", line, length)
        following = length if newline < 0 else newline + 1
        first = text[line]
        if first in (COMMENT_CHAR, "\n"):
            run_start = run_start or line
        elif text.startswith("Conflicts:\n", line):
            in_conflicts = True
            run_start = run_start or line
        elif in_conflicts and first == "\t":
            pass  # a path of the conflicts block
        elif run_start:
            run_start = 0
            in_conflicts = False
        line = following
    return length - run_start if run_start else length - cutoff


def _separator_position(line: str) -> int:
    """git's find_separator: the position of ':' after a token (letters, digits, '-', then optional blanks)."""
    whitespace_found = False
    for position, char in enumerate(line):
        if char in SEPARATORS:
            return position
        if not whitespace_found and (char in _ALNUM or char == "-"):
            continue
        if position != 0 and char in " \t":
            whitespace_found = True
            continue
        break
    return -1


def _trailer_start(text: str, length: int) -> int:
    """git's find_trailer_start: where the trailer block of text[:length] starts, or `length` if none."""
    end_of_title = _end_of_title(text, length)
    only_spaces = True
    recognized_prefix = False
    trailer_lines = non_trailer_lines = possible_continuations = 0
    line = _last_line(text, length)
    while line >= end_of_title:
        first = text[line] if line < len(text) else ""
        if first == COMMENT_CHAR:
            non_trailer_lines += possible_continuations
            possible_continuations = 0
        elif _is_blank_line(text, line):
            if not only_spaces:
                non_trailer_lines += possible_continuations
                if (recognized_prefix and trailer_lines * 3 >= non_trailer_lines) or (
                    trailer_lines and not non_trailer_lines
                ):
                    return _next_line(text, line)
                return length
        else:
            only_spaces = False
            if text.startswith(GIT_GENERATED_PREFIXES, line):
                trailer_lines += 1
                possible_continuations = 0
                recognized_prefix = True
            elif _separator_position(_line_at(text, line)) >= 1 and not _is_space(first):
                trailer_lines += 1
                possible_continuations = 0
            elif _is_space(first):
                possible_continuations += 1
            else:
                non_trailer_lines += 1 + possible_continuations
                possible_continuations = 0
        line = _last_line(text, line)
    return length


def _end_of_title(text: str, length: int) -> int:
    """The first paragraph is the title and never holds trailers (comment lines do not end it)."""
    line = 0
    while line < length:
        if text[line] != COMMENT_CHAR and _is_blank_line(text, line):
            break
        line = _next_line(text, line)
    return line


def _line_at(text: str, start: int) -> str:
    newline = text.find("\n", start)
    return text[start:] if newline < 0 else text[start : newline + 1]


def _entries(block: str) -> list[str]:
    """The block's lines, each continuation line (leading whitespace) joined to the trailer above it."""
    entries: list[str] = []
    continues_last = False
    for line in _split_lf(block):
        if continues_last and _is_space(line[:1]):
            entries[-1] += line
            continue
        entries.append(line)
        continues_last = _separator_position(line) >= 1
    return entries


def _split_lf(block: str) -> list[str]:
    """Lines ended by LF only, each keeping it (str.splitlines also splits at CR, VT, FF and Unicode breaks)."""
    parts = block.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _unfold(value: str) -> str:
    """git's unfold_value: each newline and the whitespace after it become one space."""
    if "\n" not in value:
        return value
    out: list[str] = []
    position = 0
    while position < len(value):
        char = value[position]
        position += 1
        if char == "\n":
            while position < len(value) and _is_space(value[position]):
                position += 1
            out.append(" ")
        else:
            out.append(char)
    return _git_strip("".join(out))
