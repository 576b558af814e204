"""Analyzers turn stored facts into metrics; they never call a network API."""
