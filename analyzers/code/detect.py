"""What a file version is before anyone parses it: its language, whether it is binary, whether it is minified.

Language comes from the file name's extension; a file whose extension is not one of ours (a script named
`manage` or `tool.cgi`) is recognised by its shebang line. Nothing here decodes the content.
"""

from __future__ import annotations

import posixpath
import re

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
}
# Upper-case `.C` and `.H` are C++ by the convention gcc follows; every other extension is matched case-blind.
CASE_SENSITIVE_EXTENSIONS: dict[str, str] = {".C": "cpp", ".H": "cpp"}

INTERPRETERS: dict[str, str] = {
    "python": "python",
    "pypy": "python",
    "node": "javascript",
    "nodejs": "javascript",
    "bun": "javascript",
    "deno": "typescript",
    "ts-node": "typescript",
    "tsx": "typescript",
}
LANGUAGES = frozenset({*EXTENSIONS.values(), *CASE_SENSITIVE_EXTENSIONS.values(), *INTERPRETERS.values()})
_VERSIONED_INTERPRETER = re.compile(r"^(python|pypy)[0-9.]*$")

BINARY_PROBE_BYTES = 8000  # git's buffer_is_binary looks at the same prefix
MINIFIABLE_LANGUAGES = frozenset({"javascript", "typescript", "tsx", "css"})
MINIFIED_AVERAGE_LINE = 300
MINIFIED_LONG_LINE = 2000
MINIFIED_PROBE_LINES = 5


def detect_language(path: str, head: bytes) -> str | None:
    """The language of `path` (python, javascript, …) or None; `head` is the start of the content, for shebangs."""
    extension = posixpath.splitext(posixpath.basename(path))[1]
    if extension in CASE_SENSITIVE_EXTENSIONS:
        return CASE_SENSITIVE_EXTENSIONS[extension]
    language = EXTENSIONS.get(extension.lower())
    if language is not None:
        return language
    return shebang_language(head)


def shebang_language(head: bytes) -> str | None:
    """The language a `#!` first line runs, e.g. `#!/usr/bin/env -S python3 -u` → python; None otherwise."""
    if not head.startswith(b"#!"):
        return None
    first_line = head[2:].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    words = first_line.split()
    if not words:
        return None
    interpreter = posixpath.basename(words[0])
    if interpreter == "env":
        interpreter = _env_command(words[1:])
    return _interpreter_language(interpreter)


def _env_command(arguments: list[str]) -> str:
    """The program `/usr/bin/env` runs: the first argument that is neither an option nor NAME=value."""
    for argument in arguments:
        if argument.startswith("-") or "=" in argument:
            continue
        return posixpath.basename(argument)
    return ""


def _interpreter_language(interpreter: str) -> str | None:
    versioned = _VERSIONED_INTERPRETER.match(interpreter)
    if versioned:
        return INTERPRETERS[versioned.group(1)]
    return INTERPRETERS.get(interpreter)


def is_binary(content: bytes) -> bool:
    """True when a NUL byte occurs in the first 8000 bytes, the test git uses."""
    return b"\0" in content[:BINARY_PROBE_BYTES]


def is_minified(content: bytes, language: str) -> bool:
    """True for JavaScript/TypeScript/CSS that is minified or bundled rather than written by people: lines
    averaging over 300 characters, or a line over 2,000 characters among the first five."""
    if language not in MINIFIABLE_LANGUAGES or not content:
        return False
    line_count = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    if len(content) / line_count > MINIFIED_AVERAGE_LINE:
        return True
    first_lines = content.split(b"\n", MINIFIED_PROBE_LINES)[:MINIFIED_PROBE_LINES]
    return any(len(line) > MINIFIED_LONG_LINE for line in first_lines)
