"""Authorization directives enforced on operations before planning.

Expected behaviour is Apollo Router's, from "Authorization in the GraphOS Router"
(https://www.apollographql.com/docs/graphos/routing/security/authorization): unauthorized
fields and types are removed before planning, the response keeps the shape with ``null`` and
one error per removed position (``"Unauthorized field or type"``,
``extensions.code = "UNAUTHORIZED_FIELD_OR_TYPE"``); ``@requiresScopes`` is any-of (outer
list) all-of (inner list); implementations of an interface combine with AND; when nothing is
left, the answer is ``data: {}`` with the errors; ``reject_unauthorized`` fails the request.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import DocumentNode, parse, print_ast, validate

from polyshop.runtime.principal import Principal
from router.security.authorization import AuthorizationConfig, Authorizer
from router.security.rules import Access
from router.supergraph import Supergraph, read_supergraph
from tests.support.router_security import shop_supergraph_sdl

ANON = Access()
USER = Access(authenticated=True)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return read_supergraph(shop_supergraph_sdl())


@pytest.fixture(scope="module")
def authorizer(supergraph: Supergraph) -> Authorizer:
    return Authorizer(supergraph)


def document(supergraph: Supergraph, query: str) -> DocumentNode:
    parsed = parse(query)
    assert validate(supergraph.api_schema, parsed) == [], "test queries must be valid"
    return parsed


def run(
    authorizer: Authorizer,
    supergraph: Supergraph,
    query: str,
    access: Access,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> tuple[str | None, list[list[str | int]]]:
    """(printed filtered document or None, error paths); checks the output stays valid."""
    original = document(supergraph, query)
    result = authorizer.filter(original, operation_name, access)
    errors = result.errors(variables)
    for error in errors:
        assert error["message"] == "Unauthorized field or type"
        assert error["extensions"] == {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}
    if result.document is None:
        return None, [e.get("path", []) for e in errors]
    assert validate(supergraph.api_schema, result.document) == []
    if not result.filtered:
        assert result.document is original
    return print_ast(result.document), [e.get("path", []) for e in errors]


def printed(query: str) -> str:
    return print_ast(parse(query))


# -- @authenticated (Apollo's social media example) ------------------------------------

QUERY = '{ me { username } post(id: "1234") { title views } }'


def test_unauthenticated_request_loses_authenticated_fields(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    text, paths = run(authorizer, supergraph, QUERY, ANON)
    assert text == printed('{ post(id: "1234") { title } }')
    assert paths == [["me"], ["post", "views"]]


def test_authenticated_request_keeps_everything(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    text, paths = run(authorizer, supergraph, QUERY, USER)
    assert text == printed(QUERY)
    assert paths == []


def test_removed_fields_are_reported_for_projection(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    result = authorizer.filter(document(supergraph, QUERY), None, ANON)
    removed = {r.path: r for r in result.nulls()}
    assert set(removed) == {("me",), ("post", "views")}
    assert removed[("me",)].nullable
    assert removed[("post", "views")].runtime_types == {"Post"}
    assert all(r.reported for r in removed.values())


def test_authenticated_scalar_type_protects_fields_returning_it(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    text, paths = run(authorizer, supergraph, "{ secretNumber publicNumber }", ANON)
    assert text == printed("{ publicNumber }")
    assert paths == [["secretNumber"]]


# -- @requiresScopes --------------------------------------------------------------------


def test_scopes_filter_fields_and_omit_list_positions_in_paths(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    query = "{ users { username email } }"
    only_others = Access(True, frozenset({"read:others"}))
    text, paths = run(authorizer, supergraph, query, only_others)
    assert text == printed("{ users { username } }")
    assert paths == [["users", "email"]]
    both = Access(True, frozenset({"read:others", "read:email"}))
    assert run(authorizer, supergraph, query, both) == (printed(query), [])


@pytest.mark.parametrize(
    ("scopes", "kept"),
    [
        ({"read:orders"}, False),  # one of an all-of group is not enough
        ({"read:users"}, False),
        ({"read:orders", "read:users"}, True),  # first group in full
        ({"admin"}, True),  # second group
        ({"admin", "unrelated"}, True),
        (set(), False),
    ],
)
def test_scopes_are_any_of_all_of_on_a_type(
    authorizer: Authorizer, supergraph: Supergraph, scopes: set[str], kept: bool
) -> None:
    text, paths = run(
        authorizer,
        supergraph,
        "{ orders { id total } publicNumber }",
        Access(True, frozenset(scopes)),
    )
    if kept:
        assert paths == []
    else:
        assert text == printed("{ publicNumber }")
        assert paths == [["orders"]]


def test_scopes_need_an_authenticated_request(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    _, paths = run(
        authorizer,
        supergraph,
        "{ users { id } publicNumber }",
        Access(False, frozenset({"read:others"})),
    )
    assert paths == [["users"]]


# -- @policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "kept"),
    [
        ({"read_credit_card"}, True),
        ({"billing"}, False),
        ({"billing", "admin"}, True),
        (set(), False),
    ],
)
def test_policies_are_any_of_all_of(
    authorizer: Authorizer, supergraph: Supergraph, granted: set[str], kept: bool
) -> None:
    query = '{ node(id: "u1") { ... on User { username creditCard } } }'
    text, paths = run(authorizer, supergraph, query, Access(True, policies=frozenset(granted)))
    assert (paths == []) is kept
    if not kept:
        assert paths == [["node", "creditCard"]]
        assert text == printed('{ node(id: "u1") { ... on User { username } } }')


async def test_default_evaluator_grants_roles_and_policies_claims(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    query = '{ adminStats { count } node(id: "u1") { ... on User { creditCard } } }'
    parsed = document(supergraph, query)
    admin = Principal.from_claims({"sub": "u1", "roles": ["admin"]})
    result = await authorizer.authorize(parsed, None, admin)
    assert [e["path"] for e in result.errors()] == [["node", "creditCard"]]
    billing = Principal.from_claims(
        {"sub": "u2", "roles": ["admin"], "policies": ["read_credit_card"]}
    )
    assert not (await authorizer.authorize(parsed, None, billing)).filtered
    anonymous = await authorizer.authorize(parsed, None, None)
    assert [e["path"] for e in anonymous.errors()] == [["adminStats"], ["node", "creditCard"]]


async def test_custom_policy_evaluator_gets_only_the_operations_policies(
    supergraph: Supergraph,
) -> None:
    calls: list[tuple[Principal | None, frozenset[str]]] = []

    async def evaluator(principal: Principal | None, policies: frozenset[str]) -> frozenset[str]:
        calls.append((principal, policies))
        return frozenset({"admin"})  # e.g. decided by an external service

    authorizer = Authorizer(supergraph, policy_evaluator=evaluator)
    result = await authorizer.authorize(
        document(supergraph, "{ adminStats { count } }"), None, None
    )
    assert not result.filtered
    assert calls == [(None, frozenset({"admin"}))]
    await authorizer.authorize(document(supergraph, "{ publicNumber }"), None, None)
    assert len(calls) == 1  # no policy in the operation: no evaluation


# -- interfaces, unions, fragments ------------------------------------------------------


def test_interface_with_an_authenticated_implementation_is_filtered_whole(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    # Apollo: "The router would filter out the whole query ... error at the /posts path"
    text, paths = run(authorizer, supergraph, "{ feed { id title } publicNumber }", ANON)
    assert text == printed("{ publicNumber }")
    assert paths == [["feed"]]
    assert run(authorizer, supergraph, "{ feed { id title } }", USER)[1] == []


def test_interface_fragments_keep_the_allowed_implementations(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    query = """{ feed { __typename ... on PublicBlog { id title } ...Private } }
               fragment Private on PrivateBlog { id title }"""
    text, paths = run(authorizer, supergraph, query, ANON)
    assert text == printed("{ feed { __typename ... on PublicBlog { id title } } }")
    assert paths == [["feed"]]
    authenticated, _ = run(authorizer, supergraph, query, USER)
    assert authenticated is not None
    assert "PrivateBlog" in authenticated


def test_typename_alone_on_a_protected_interface_is_allowed(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    assert run(authorizer, supergraph, "{ feed { __typename } }", ANON)[1] == []


def test_fragment_on_the_interface_needs_every_implementation(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    text, paths = run(
        authorizer, supergraph, "{ feed { ... on Item { title } } publicNumber }", ANON
    )
    assert text == printed("{ publicNumber }")
    assert paths == [["feed"]]
    result = authorizer.filter(
        document(supergraph, "{ feed { ... on Item { title } } publicNumber }"), None, ANON
    )
    feed = [r for r in result.removed if r.path == ("feed",)]
    assert len(feed) == 1
    assert not feed[0].reported  # emptied, not itself unauthorized: one error, at the fragment
    assert not feed[0].nullable


def test_union_members_are_checked_per_fragment(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    query = "{ search { ... on PublicBlog { title } ... on PrivateBlog { title } } }"
    text, paths = run(authorizer, supergraph, query, ANON)
    assert text == printed("{ search { ... on PublicBlog { title } } }")
    assert paths == [["search"]]


def test_interface_field_requirements_combine_over_implementations(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    # Memo.text is @authenticated, Sticky.text is not: through the interface both apply
    text, paths = run(authorizer, supergraph, "{ notes { id text } }", ANON)
    assert text == printed("{ notes { id } }")
    assert paths == [["notes", "text"]]
    result = authorizer.filter(document(supergraph, "{ notes { id text } }"), None, ANON)
    (removed,) = result.removed
    assert removed.parent_type == "Note"
    assert removed.runtime_types == {"Memo", "Sticky"}
    # asked on the implementation that does not protect it: allowed
    assert run(authorizer, supergraph, "{ notes { ... on Sticky { text } } }", ANON)[1] == []
    narrowed, narrowed_paths = run(
        authorizer, supergraph, "{ notes { id ... on Memo { text } } }", ANON
    )
    assert narrowed == printed("{ notes { id } }")
    assert narrowed_paths == [["notes", "text"]]


def test_named_fragments_are_filtered_per_use_into_copies(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    query = """query { me { ...U } users { ...U } publicNumber }
               fragment U on User { id email }"""
    text, paths = run(authorizer, supergraph, query, Access(True, frozenset({"read:others"})))
    assert text == printed(
        "{ me { ...U_1 } users { ...U_2 } publicNumber } "
        "fragment U_1 on User { id } fragment U_2 on User { id }"
    )
    assert paths == [["me", "email"], ["users", "email"]]


def test_fragment_chains_stay_fragments(authorizer: Authorizer, supergraph: Supergraph) -> None:
    """40 fragments each spreading the next twice, the last losing a field: 2^40 selections
    if inlined; the filtered document keeps one copy of each fragment instead."""
    count = 40
    fragments = " ".join(
        f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count)
    )
    query = f"{{ me {{ ...F0 }} }} {fragments} fragment F{count} on User {{ id email }}"
    text, paths = run(authorizer, supergraph, query, Access(True, frozenset({"read:others"})))
    assert paths == [["me", "email"]]
    assert text.count("fragment ") == count + 1
    assert f"fragment F{count}_1 on User {{\n  id\n}}" in text


def test_aliases_give_the_response_path(authorizer: Authorizer, supergraph: Supergraph) -> None:
    text, paths = run(authorizer, supergraph, "{ who: me { id } n: publicNumber }", ANON)
    assert text == printed("{ n: publicNumber }")
    assert paths == [["who"]]


def test_non_null_removed_field_empties_its_parent(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    result = authorizer.filter(
        document(supergraph, '{ post(id: "1") { secretViews } publicNumber }'), None, ANON
    )
    removed = {r.path: r for r in result.removed}
    assert not removed[("post", "secretViews")].nullable
    assert removed[("post", "secretViews")].reported
    assert not removed[("post",)].reported
    assert [e["path"] for e in result.errors()] == [["post", "secretViews"]]


# -- conditions, variables, mutations, introspection -----------------------------------


def test_skipped_fields_are_not_reported(authorizer: Authorizer, supergraph: Supergraph) -> None:
    query = "query($withMe: Boolean!) { me @include(if: $withMe) { id } publicNumber }"
    result = authorizer.filter(document(supergraph, query), None, ANON)
    assert result.filtered
    assert result.errors({"withMe": False}) == []
    assert result.nulls({"withMe": False}) == ()
    assert [e["path"] for e in result.errors({"withMe": True})] == [["me"]]
    assert [r.path for r in result.nulls({"withMe": True})] == [("me",)]


def test_condition_defaults_apply(authorizer: Authorizer, supergraph: Supergraph) -> None:
    query = "query($hide: Boolean = false) { me @skip(if: $hide) { id } publicNumber }"
    result = authorizer.filter(document(supergraph, query), None, ANON)
    assert [e["path"] for e in result.errors({})] == [["me"]]
    assert result.errors({"hide": True}) == []


def test_literal_skip_is_not_an_authorization_matter(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    result = authorizer.filter(
        document(supergraph, "{ me @skip(if: true) { id } publicNumber }"), None, ANON
    )
    assert not result.filtered


def test_mutation_fields_and_unused_variables_are_dropped(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    query = "mutation Clean($id: ID!, $other: ID!) { deletePost(id: $id) like(id: $other) }"
    text, paths = run(authorizer, supergraph, query, USER, operation_name="Clean")
    assert text == printed("mutation Clean($other: ID!) { like(id: $other) }")
    assert paths == [["deletePost"]]
    writer = Access(True, frozenset({"write:posts"}))
    assert run(authorizer, supergraph, query, writer, operation_name="Clean")[1] == []


def test_operation_is_chosen_by_name(authorizer: Authorizer, supergraph: Supergraph) -> None:
    query = "query A { me { id } publicNumber } query B { publicNumber }"
    text, paths = run(authorizer, supergraph, query, ANON, operation_name="A")
    assert text == printed("query A { publicNumber }")
    assert paths == [["me"]]
    assert run(authorizer, supergraph, query, ANON, operation_name="B")[1] == []


def test_introspection_is_not_filtered(authorizer: Authorizer, supergraph: Supergraph) -> None:
    query = """{ __type(name: "User") { ...T } me { id } publicNumber }
               fragment T on __Type { name fields { name } }"""
    text, paths = run(authorizer, supergraph, query, ANON)
    assert text == printed(
        """{ __type(name: "User") { ...T } publicNumber }
           fragment T on __Type { name fields { name } }"""
    )
    assert paths == [["me"]]


# -- whole-operation outcomes -----------------------------------------------------------


def test_nothing_left_answers_empty_data_with_errors(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    result = authorizer.filter(document(supergraph, "{ me { id } secretNumber }"), None, ANON)
    assert result.document is None
    body, status = result.early_response() or ({}, 0)
    assert status == 200
    assert body["data"] == {}
    assert [e["path"] for e in body["errors"]] == [["me"], ["secretNumber"]]


def test_partial_filtering_goes_on_to_planning(
    authorizer: Authorizer, supergraph: Supergraph
) -> None:
    result = authorizer.filter(document(supergraph, QUERY), None, ANON)
    assert result.early_response() is None


def test_reject_unauthorized_fails_the_whole_request(supergraph: Supergraph) -> None:
    strict = Authorizer(supergraph, AuthorizationConfig(reject_unauthorized=True))
    result = strict.filter(document(supergraph, QUERY), None, ANON)
    body, status = result.early_response() or ({}, 0)
    assert status == 403
    assert "data" not in body
    assert [e["path"] for e in body["errors"]] == [["me"], ["post", "views"]]
    assert strict.filter(document(supergraph, QUERY), None, USER).early_response() is None
    conditional = strict.filter(
        document(supergraph, "query($m: Boolean!) { me @include(if: $m) { id } publicNumber }"),
        None,
        ANON,
    )
    assert conditional.early_response({"m": False}) is None


def test_disabled_authorization_passes_documents_through(supergraph: Supergraph) -> None:
    off = Authorizer(supergraph, AuthorizationConfig(enabled=False))
    parsed = document(supergraph, QUERY)
    assert off.filter(parsed, None, ANON).document is parsed


def test_explains_matches_concrete_paths(authorizer: Authorizer, supergraph: Supergraph) -> None:
    result = authorizer.filter(
        document(supergraph, "{ users { id email } }"),
        None,
        Access(True, frozenset({"read:others"})),
    )
    assert result.explains(["users", 3, "email"])
    assert not result.explains(["users", 3, "id"])


# -- caching ----------------------------------------------------------------------------


async def test_results_are_cached_per_relevant_access(supergraph: Supergraph) -> None:
    authorizer = Authorizer(supergraph)
    parsed = document(supergraph, QUERY)
    alice = Principal.from_claims({"sub": "alice", "scope": "read:email profile"})
    bob = Principal.from_claims({"sub": "bob", "scope": "read:email other:thing"})
    first = await authorizer.authorize(parsed, None, alice, cache_key=QUERY)
    assert await authorizer.authorize(parsed, None, bob, cache_key=QUERY) is first
    assert first.access == Access(True, frozenset({"read:email"}))  # unrelated scopes dropped
    anonymous = await authorizer.authorize(parsed, None, None, cache_key=QUERY)
    assert anonymous is not first
    assert anonymous.filtered
    assert not first.filtered
    assert await authorizer.authorize(parsed, None, None, cache_key=QUERY) is anonymous
