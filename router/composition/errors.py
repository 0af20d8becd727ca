"""Composition errors and hints as structured values, with Apollo composition's codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CompositionError:
    """One reason the subgraphs do not compose.

    ``code`` is Apollo composition's error code (``INVALID_FIELD_SHARING``, ...), ``subgraphs``
    the subgraph names involved and ``coordinates`` the schema coordinates (``Type.field``).
    """

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinates: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class CompositionHint:
    """Something that composes but is probably not what was meant (Apollo's hint codes)."""

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinates: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Report:
    """Collects errors and hints while a composition step runs."""

    def __init__(self) -> None:
        self.errors: list[CompositionError] = []
        self.hints: list[CompositionHint] = []

    def error(
        self,
        code: str,
        message: str,
        subgraphs: tuple[str, ...] | list[str] = (),
        coordinates: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.errors.append(CompositionError(code, message, tuple(subgraphs), tuple(coordinates)))

    def hint(
        self,
        code: str,
        message: str,
        subgraphs: tuple[str, ...] | list[str] = (),
        coordinates: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.hints.append(CompositionHint(code, message, tuple(subgraphs), tuple(coordinates)))


def human_list(items: list[str], singular: str, plural: str) -> str:
    """Apollo's ``printHumanReadableList``: 'subgraph "a"', 'subgraphs "a" and "b"'."""
    if len(items) == 1:
        return f"{singular} {items[0]}"
    head = ", ".join(items[:-1])
    return f"{plural} {head} and {items[-1]}"


def subgraph_list(names: list[str]) -> str:
    return human_list([f'"{n}"' for n in names], "subgraph", "subgraphs")


def join_strings(
    parts: list[str], sep: str = ", ", first_sep: str | None = None, last_sep: str = " and "
) -> str:
    """Apollo's ``joinStrings``."""
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0] + (first_sep or last_sep) + parts[1]
    return parts[0] + (first_sep or sep) + sep.join(parts[1:-1]) + last_sep + parts[-1]


def distribution(
    names: list[str], values: list[str | None], supergraph_value: str
) -> list[tuple[str, list[str]]]:
    """Group subgraphs by the value they have (``None``: absent, skipped); the supergraph's
    value comes first."""
    groups: dict[str, list[str]] = {}
    for name, value in zip(names, values, strict=True):
        if value is None:
            continue
        groups.setdefault(value, []).append(name)
    ordered = [(supergraph_value, groups.pop(supergraph_value, []))]
    ordered.extend(groups.items())
    return ordered


def mismatch_message(
    message: str, names: list[str], values: list[str | None], supergraph_value: str
) -> str:
    """``<message><v1> in subgraph "a" but <v2> in subgraphs "b" and "c"`` (Apollo's format)."""
    parts = [
        f"{value} in {subgraph_list(group)}"
        for value, group in distribution(names, values, supergraph_value)
        if group
    ]
    return message + join_strings(parts, " and ", " but ")
