"""Collectors read sources (git, code hosts, CI) into fact records; they never read metrics."""
