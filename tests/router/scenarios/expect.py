"""Comparison of a response body with a scenario's expectation, with readable failures."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tests.support.subgraph_server import Recorder

from .model import ABSENT, ANY, Err, Operation


def _show(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=repr)


def json_equal(actual: Any, expected: Any) -> bool:
    """JSON equality that also tells `true` from `1` and checks object key order.

    GraphQL spec, "Serialized Map Ordering": a response object lists its fields in the order
    the selection set asked for them, so the order is part of the expected response.
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, Mapping):
        return (
            isinstance(actual, Mapping)
            and list(actual) == list(expected)
            and all(json_equal(actual[key], expected[key]) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(json_equal(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and actual == expected
    return type(actual) is type(expected) and actual == expected


def error_matches(actual: Mapping[str, Any], expected: Err) -> bool:
    if not isinstance(actual, Mapping):
        return False
    if expected.code is not ANY:
        extensions = actual.get("extensions") or {}
        if extensions.get("code") != expected.code:
            return False
    if expected.message is not ANY:
        message = actual.get("message")
        if not isinstance(message, str):
            return False
        if isinstance(expected.message, re.Pattern):
            if not expected.message.search(message):
                return False
        elif message != expected.message:
            return False
    if expected.path is not ANY:
        path = actual.get("path")
        if expected.path is None:
            if path not in (None, []):
                return False
        elif isinstance(expected.path, Sequence) and list(path or []) != list(expected.path):
            return False
    return True


def assert_errors(actual: Any, expected: Sequence[Err]) -> None:
    """Every expected error matches one distinct actual error, and nothing is left over."""
    actual_list = list(actual or [])
    remaining = list(actual_list)
    missing = []
    for want in expected:
        for index, got in enumerate(remaining):
            if error_matches(got, want):
                del remaining[index]
                break
        else:
            missing.append(want)
    differ = bool(missing or remaining)
    assert not differ, (
        f"errors differ\n  missing: {missing}\n  unexpected: {_show(remaining)}\n"
        f"  all actual: {_show(actual_list)}"
    )


def assert_body(body: Mapping[str, Any], status: int, operation: Operation) -> None:
    if operation.status is not ANY:
        assert status == operation.status, (
            f"HTTP status {status} != {operation.status}: {_show(body)}"
        )
    if operation.data is ANY:
        pass
    elif operation.data is ABSENT:
        assert "data" not in body, f"expected no data entry: {_show(body)}"
    else:
        assert "data" in body, f"expected a data entry: {_show(body)}"
        assert json_equal(body["data"], operation.data), (
            f"data differs\nexpected: {_show(operation.data)}\nactual: {_show(body['data'])}\n"
            f"errors: {_show(body.get('errors'))}"
        )
    if operation.errors is ANY:
        return
    assert isinstance(operation.errors, Sequence)
    if not operation.errors:
        assert not body.get("errors"), f"unexpected errors: {_show(body.get('errors'))}"
        return
    assert_errors(body.get("errors"), operation.errors)


def assert_requests(recorder: Recorder, operation: Operation) -> None:
    """The router sent valid operations, and as many as the scenario declares."""
    rejected = [r for r in recorder.requests if r.rejected]
    assert not rejected, "a subgraph rejected the router's operation:\n" + "\n".join(
        f"--- {r.subgraph}\n{r.query}\n{_show(r.response)}" for r in rejected
    )
    if operation.requests is None:
        return
    actual = recorder.counts()
    expected = {name: count for name, count in operation.requests.items() if count}
    assert actual == expected, f"subgraph requests {actual} != expected {expected}\n" + "\n".join(
        f"--- {r.subgraph}\n{r.query}" for r in recorder.requests
    )


def _matches_payload(actual: Any, expected: Mapping[str, Any]) -> bool:
    """One payload (or one ``incremental`` entry): keys in order, ``errors`` as `Err`s."""
    if not isinstance(actual, Mapping) or list(actual) != list(expected):
        return False
    for key, want in expected.items():
        got = actual[key]
        if key == "errors":
            try:
                assert_errors(got, want)
            except AssertionError:
                return False
        elif key == "incremental":
            if not isinstance(got, list) or len(got) != len(want):
                return False
            if not all(_matches_payload(a, e) for a, e in zip(got, want, strict=True)):
                return False
        elif not json_equal(got, want):
            return False
    return True


def assert_payloads(actual: Sequence[Any], expected: Sequence[Mapping[str, Any]]) -> None:
    """Incremental delivery: the primary payload first, then the deferred ones in any order
    (each deferred fragment is sent when its own fetches are done), the last one alone with
    ``hasNext: false``."""
    shown = f"\nexpected: {_show(list(expected))}\nactual: {_show(list(actual))}"
    assert len(actual) == len(expected), f"{len(actual)} payloads, not {len(expected)}{shown}"
    assert _matches_payload(actual[0], expected[0]), f"primary payload differs{shown}"
    flags = [payload.get("hasNext") for payload in actual]
    assert flags == [True] * (len(actual) - 1) + [False], f"hasNext flags {flags}{shown}"
    remaining = [dict(p, hasNext=None) for p in actual[1:]]
    for want in expected[1:]:
        want = dict(want, hasNext=None)
        for index, got in enumerate(remaining):
            if _matches_payload(got, want):
                del remaining[index]
                break
        else:
            raise AssertionError(f"payload not received: {_show(want)}{shown}")
