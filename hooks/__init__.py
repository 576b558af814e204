"""Hooks: pre-commit entry points and the CI gate; they need neither network nor database."""
