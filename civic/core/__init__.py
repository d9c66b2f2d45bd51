"""Shared machinery with no domain rules."""
