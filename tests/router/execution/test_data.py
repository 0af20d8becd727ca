"""Pure pieces of execution: collecting objects at plan paths, merging, representations."""

from __future__ import annotations

from typing import Any

import pytest

from router.execution.data import collect, merge_into
from router.execution.representations import MissingKey, representation
from router.planning.nodes import RequiresField, RequiresFragment


def test_collect_descends_nested_lists_and_skips_nulls() -> None:
    a, b, c = {"n": "a"}, {"n": "b"}, {"n": "c"}
    data: dict[str, Any] = {"grid": [[a, None], [], None, [b, c]], "other": None}
    found = collect(data, ("grid", "@", "@"))
    assert [(obj["n"], path) for obj, path in found] == [
        ("a", ("grid", 0, 0)),
        ("b", ("grid", 3, 0)),
        ("c", ("grid", 3, 1)),
    ]
    assert collect(data, ("other", "@")) == []
    assert collect(data, ("missing",)) == []


def test_merge_is_deep_and_in_place() -> None:
    reviews = [{"id": "r1"}, {"id": "r2"}]
    target: dict[str, Any] = {"id": "1", "reviews": reviews, "owner": {"id": "u"}}
    merge_into(
        target,
        {"reviews": [{"body": "x"}, {"body": "y"}], "owner": {"name": "Ann"}, "price": 3},
    )
    assert target == {
        "id": "1",
        "reviews": [{"id": "r1", "body": "x"}, {"id": "r2", "body": "y"}],
        "owner": {"id": "u", "name": "Ann"},
        "price": 3,
    }
    assert target["reviews"] is reviews  # no copies


PRODUCT = RequiresFragment(
    "Product",
    frozenset({"Product"}),
    (
        RequiresField("id", "id", key=True),
        RequiresField("org", "org", (RequiresField("id", "id", key=True),), key=True),
        RequiresField("weight", "__internal_weight"),
    ),
)
MEDIA = RequiresFragment(
    "Media", frozenset({"Media", "Book", "Movie"}), (RequiresField("id", "id", key=True),), "Media"
)


def test_representation_follows_requires_and_internal_aliases() -> None:
    obj = {"__typename": "Product", "id": "1", "org": {"id": "o", "x": 1}, "__internal_weight": 2}
    assert representation(obj, (PRODUCT,)) == {
        "__typename": "Product",
        "id": "1",
        "org": {"id": "o"},
        "weight": 2,
    }


def test_representation_rewrites_typename_for_interface_objects() -> None:
    assert representation({"__typename": "Book", "id": "b"}, (PRODUCT, MEDIA)) == {
        "__typename": "Media",
        "id": "b",
    }
    assert representation({"__typename": "User", "id": "u"}, (PRODUCT, MEDIA)) is None


@pytest.mark.parametrize(
    "obj",
    [
        {"__typename": "Product", "id": None, "org": {"id": "o"}},
        {"__typename": "Product", "id": "1"},
        {"__typename": "Product", "id": "1", "org": {"id": None}},
    ],
    ids=["null key", "missing nested key", "null nested key"],
)
def test_null_or_missing_keys_are_refused(obj: dict[str, Any]) -> None:
    with pytest.raises(MissingKey):
        representation(obj, (PRODUCT,))


def test_null_required_field_is_sent_as_null() -> None:
    obj = {"__typename": "Product", "id": "1", "org": {"id": "o"}, "__internal_weight": None}
    assert representation(obj, (PRODUCT,))["weight"] is None  # type: ignore[index]
