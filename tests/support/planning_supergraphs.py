"""Hand-written supergraphs for planner and executor tests (join spec v0.5 boilerplate added).

``supergraph({"products": ..., }, body)`` wraps type definitions that already carry their
``@join__*`` directives; graph enum values are the upper-cased subgraph names.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.supergraph import Supergraph, read_supergraph

HEADER = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
  %MUTATION%
}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(
  graph: join__Graph
  requires: join__FieldSet
  provides: join__FieldSet
  type: String
  external: Boolean
  override: String
  usedOverridden: Boolean
  overrideLabel: String
) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!)
  repeatable on OBJECT | INTERFACE
directive @join__type(
  graph: join__Graph!
  key: join__FieldSet
  extension: Boolean! = false
  resolvable: Boolean! = true
  isInterfaceObject: Boolean! = false
) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA

scalar join__FieldSet
scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}
"""


def supergraph_sdl(graphs: Iterable[str], body: str) -> str:
    names = list(graphs)
    enum = "\n".join(
        f'  {name.upper()} @join__graph(name: "{name}", url: "http://{name}.invalid/graphql")'
        for name in names
    )
    mutation = "mutation: Mutation" if "type Mutation" in body else ""
    return HEADER.replace("%MUTATION%", mutation) + "\nenum join__Graph {\n" + enum + "\n}\n" + body


def supergraph(graphs: Iterable[str], body: str) -> Supergraph:
    return read_supergraph(supergraph_sdl(graphs, body))
