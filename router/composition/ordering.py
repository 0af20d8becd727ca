"""Sorting that matches the JavaScript `localeCompare` Apollo composition sorts with.

Apollo prints supergraph types and directive definitions sorted by `String.localeCompare`
(ICU root collation): case-insensitive first, punctuation before digits before letters, and on a
tie lowercase before uppercase. Matching it keeps our output byte-comparable with theirs.
"""

from __future__ import annotations


def _primary(char: str) -> tuple[int, str]:
    if char.isalpha():
        return (3, char.lower())
    if char.isdigit():
        return (2, char)
    return (1, char)


def locale_key(text: str) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """A sort key approximating ICU's root collation for GraphQL names."""
    primary = tuple(_primary(c) for c in text)
    tertiary = tuple(1 if c.isupper() else 0 for c in text)
    return (primary, tertiary)
