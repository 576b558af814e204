"""Code metrics per file version: radon for Python, tree-sitter for the other languages (and as
Python's fallback). Results are keyed by content: (blob sha, language, analyzer version)."""
