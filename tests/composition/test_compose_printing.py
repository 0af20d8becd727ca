"""Printing details that keep our supergraph byte-comparable with Apollo composition's."""

from __future__ import annotations

from router.composition import compose
from router.composition.ordering import locale_key
from router.composition.printer import block_string
from tests.support.compose_cases import link, subgraphs


def test_definitions_sort_like_javascript_locale_compare() -> None:
    names = ["link__Purpose", "Query", "join__Graph", "Color", "_Private", "Node", "a2", "a10", "b"]
    assert sorted(names, key=locale_key) == [
        "_Private",
        "a10",
        "a2",
        "b",
        "Color",
        "join__Graph",
        "link__Purpose",
        "Node",
        "Query",
    ]
    assert sorted(["Ab", "ab", "aB"], key=locale_key) == ["ab", "aB", "Ab"]


def test_block_strings() -> None:
    assert block_string("short") == '"""short"""'
    assert block_string("two\nlines") == '"""\ntwo\nlines\n"""'
    assert block_string('ends with "quote"') == '"""\nends with "quote"\n"""'
    assert block_string("x" * 71, "", True) == '"""\n' + "x" * 71 + '\n"""'
    assert block_string('has """ inside') == '"""has \\""" inside"""'


def test_long_descriptions_are_printed_on_several_lines() -> None:
    long_text = "A description that is definitely longer than seventy characters in total."
    result = compose(subgraphs(("a", link(7) + f'type Query {{ "{long_text}" a: Int }}')))
    assert result.supergraph_sdl is not None
    assert f'  """\n  {long_text}\n  """\n  a: Int' in result.supergraph_sdl


def test_types_with_directives_print_them_on_their_own_lines() -> None:
    result = compose(subgraphs(("a", link(7) + "type Query { a: Int } union U = Query")))
    assert result.supergraph_sdl is not None
    sdl = result.supergraph_sdl
    assert "type Query\n  @join__type(graph: A)\n{\n  a: Int\n}" in sdl
    assert '\n  @join__unionMember(graph: A, member: "Query")\n = Query' in sdl
    assert sdl.startswith(
        'schema\n  @link(url: "https://specs.apollo.dev/link/v1.0")\n'
        '  @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)\n{\n  query: Query\n}'
    )


def test_graph_enum_names_are_sanitized_and_unique() -> None:
    result = compose(
        subgraphs(
            ("my-service", link(7) + "type Query { a: Int }"),
            ("my_service", link(7) + "type Query { b: Int }"),
            ("2fa", link(7) + "type Query { c: Int }"),
        )
    )
    assert result.supergraph_sdl is not None
    sdl = result.supergraph_sdl
    assert '  _2FA @join__graph(name: "2fa", url: "http://2fa.local/graphql")' in sdl
    assert '  MY_SERVICE_1 @join__graph(name: "my-service"' in sdl
    assert '  MY_SERVICE_2 @join__graph(name: "my_service"' in sdl


def test_context_directives_become_join_context_arguments() -> None:
    """`@context` is named per subgraph in the supergraph; a `@fromContext` argument leaves
    the field and becomes `join__field(contextArguments:)` (as Apollo's composer prints)."""
    result = compose(
        subgraphs(
            (
                "a",
                link(8, "key", "context", "fromContext")
                + """
                type U @key(fields: "id") @context(name: "ctx") { id: ID! p: P }
                type P @key(fields: "id") {
                  id: ID!
                  x(a: String @fromContext(field: "$ctx { id }")): Int
                }
                type Query { u: U }
                """,
            )
        )
    )
    assert not result.errors, result.errors
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@link(url: "https://specs.apollo.dev/context/v0.1", for: SECURITY)' in sdl
    assert '@join__field(graph: A, contextArguments: [{context: "a__ctx", name: "a", ' in sdl
    assert 'type: "String", selection: " { id }"}])' in sdl
    assert "x: Int @join__field" in sdl
    assert '@context(name: "a__ctx")' in sdl
