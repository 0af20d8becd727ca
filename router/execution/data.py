"""The merged response data: collecting objects at a plan path, merging results in place."""

from __future__ import annotations

from typing import Any

from ..planning.nodes import ENTITY_PATH_LIST

Path = tuple[str | int, ...]


def merge_into(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Deep-merge ``source`` into ``target`` without copying (objects by key, lists by index)."""
    for key, value in source.items():
        existing = target.get(key)
        if existing is None:
            target[key] = value
        elif isinstance(existing, dict):
            if isinstance(value, dict):
                merge_into(existing, value)
            else:
                target[key] = value
        elif isinstance(existing, list) and isinstance(value, list):
            _merge_lists(existing, value)
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    if len(target) != len(source):
        target[:] = source
        return
    for index, value in enumerate(source):
        existing = target[index]
        if isinstance(existing, dict) and isinstance(value, dict):
            merge_into(existing, value)
        elif isinstance(existing, list) and isinstance(value, list):
            _merge_lists(existing, value)
        elif value is not None or existing is None:
            target[index] = value


def collect(data: dict[str, Any], path: tuple[str, ...]) -> list[tuple[dict[str, Any], Path]]:
    """Objects at ``path`` with their concrete paths; nulls and missing values are skipped."""
    current: list[tuple[Any, Path]] = [(data, ())]
    for segment in path:
        following: list[tuple[Any, Path]] = []
        if segment == ENTITY_PATH_LIST:
            for value, at in current:
                if isinstance(value, list):
                    following.extend(
                        (item, (*at, index)) for index, item in enumerate(value) if item is not None
                    )
        else:
            for value, at in current:
                if isinstance(value, dict):
                    child = value.get(segment)
                    if child is not None:
                        following.append((child, (*at, segment)))
        current = following
        if not current:
            return []
    return [(value, at) for value, at in current if isinstance(value, dict)]


def collect_objects(data: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects `collect` finds, in the same order, without their paths.

    Building a path tuple per object is most of `collect`'s cost and an entity fetch needs
    the paths only for errors: `locate` finds them again when one happens."""
    current: list[Any] = [data]
    for segment in path:
        following: list[Any] = []
        if segment == ENTITY_PATH_LIST:
            for value in current:
                if isinstance(value, list):
                    following.extend(value)
        else:
            for value in current:
                if isinstance(value, dict):
                    child = value.get(segment)
                    if child is not None:
                        following.append(child)
        current = following
        if not current:
            return []
    return [value for value in current if isinstance(value, dict)]


def locate(
    data: dict[str, Any], paths: tuple[tuple[str, ...], ...], groups: list[list[dict[str, Any]]]
) -> list[list[Path]]:
    """The concrete paths of each group's objects (found by identity at the plan ``paths``).

    Used on the error path only: an object no longer under ``paths`` has no path."""
    found: dict[int, list[Path]] = {}
    for path in paths:
        for obj, at in collect(data, path):
            found.setdefault(id(obj), []).append(at)
    located: list[list[Path]] = []
    for group in groups:
        seen: set[int] = set()
        paths_of_group: list[Path] = []
        for obj in group:
            if id(obj) not in seen:
                seen.add(id(obj))
                paths_of_group.extend(found.get(id(obj), ()))
        located.append(paths_of_group)
    return located
