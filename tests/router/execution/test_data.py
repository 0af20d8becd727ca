"""Pure pieces of execution: collecting objects at plan paths, merging, representations."""

from __future__ import annotations

from typing import Any

import pytest

from router.execution.data import collect, collect_objects, locate, merge_into
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


def test_collect_objects_finds_what_collect_finds_without_paths() -> None:
    a, b, c, d = {"n": "a"}, {"n": "b"}, {"n": "c"}, {"n": "d"}
    data: dict[str, Any] = {
        "grid": [[a, None, 3], [], None, [b, c]],
        "rows": [{"item": d}, {"item": None}, "x", {"other": 1}],
    }
    for path in (("grid", "@", "@"), ("rows", "@", "item"), ("grid", "@"), ("missing", "@")):
        assert [id(obj) for obj in collect_objects(data, path)] == [
            id(obj) for obj, _ in collect(data, path)
        ]


def test_locate_gives_each_group_the_paths_of_its_objects() -> None:
    a, b, c = {"n": "a"}, {"n": "b"}, {"n": "c"}
    data: dict[str, Any] = {"left": [a, b], "right": {"one": c, "again": a}}
    paths = (("left", "@"), ("right", "one"), ("right", "again"))
    assert locate(data, paths, [[a], [b, c], [{"n": "gone"}]]) == [
        [("left", 0), ("right", "again")],
        [("left", 1), ("right", "one")],
        [],
    ]
    # An object twice in one group (two client paths) gives its paths once.
    assert locate(data, paths, [[a, a]]) == [[("left", 0), ("right", "again")]]


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
