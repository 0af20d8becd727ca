"""Introspection is answered by the router from the API schema: no subgraph request, no
join__/link__ machinery visible. Mixed with ordinary fields, only those are fetched. With
introspection turned off, Apollo Router refuses it (`INTROSPECTION_DISABLED`)."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import ANY, Err, Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "tags": []}]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i, sort: PRODUCTS}}),
        SubgraphSpec("reviews", entities={"Product": lambda rep, _i: {"rating": 4.0}}),
    ],
    operations=[
        Operation(
            name="root_types",
            query="""{ __schema {
              queryType { name } mutationType { name } subscriptionType { name }
            } }""",
            data={
                "__schema": {
                    "queryType": {"name": "Query"},
                    "mutationType": {"name": "Mutation"},
                    "subscriptionType": None,
                }
            },
            requests={},
        ),
        Operation(
            name="object_type",
            query="""{ __type(name: "Product") {
              kind name description
              interfaces { name }
              fields { name type { kind name ofType { kind name ofType { kind name } } } }
            } }""",
            data={
                "__type": {
                    "kind": "OBJECT",
                    "name": "Product",
                    "description": "A thing we sell.",
                    "interfaces": [{"name": "Node"}],
                    "fields": [
                        {
                            "name": "id",
                            "type": {
                                "kind": "NON_NULL",
                                "name": None,
                                "ofType": {"kind": "SCALAR", "name": "ID", "ofType": None},
                            },
                        },
                        {
                            "name": "name",
                            "type": {
                                "kind": "NON_NULL",
                                "name": None,
                                "ofType": {"kind": "SCALAR", "name": "String", "ofType": None},
                            },
                        },
                        {
                            "name": "tags",
                            "type": {
                                "kind": "NON_NULL",
                                "name": None,
                                "ofType": {
                                    "kind": "LIST",
                                    "name": None,
                                    "ofType": {"kind": "NON_NULL", "name": None},
                                },
                            },
                        },
                        {
                            "name": "rating",
                            "type": {"kind": "SCALAR", "name": "Float", "ofType": None},
                        },
                    ],
                }
            },
            requests={},
        ),
        Operation(
            name="interface_enum_and_deprecation",
            query="""{
              node: __type(name: "Node") { kind possibleTypes { name } }
              sort: __type(name: "Sort") {
                all: enumValues(includeDeprecated: true) { name isDeprecated deprecationReason }
                current: enumValues { name }
              }
            }""",
            data={
                "node": {"kind": "INTERFACE", "possibleTypes": [{"name": "Product"}]},
                "sort": {
                    "all": [
                        {"name": "NAME", "isDeprecated": False, "deprecationReason": None},
                        {"name": "PRICE", "isDeprecated": True, "deprecationReason": "use NAME"},
                    ],
                    "current": [{"name": "NAME"}],
                },
            },
            requests={},
        ),
        Operation(
            name="no_federation_internals",
            query="""{
              graph: __type(name: "join__Graph") { name }
              purpose: __type(name: "link__Purpose") { name }
              fieldset: __type(name: "join__FieldSet") { name }
              entity: __type(name: "_Entity") { name }
              service: __type(name: "_Service") { name }
            }""",
            data={
                "graph": None,
                "purpose": None,
                "fieldset": None,
                "entity": None,
                "service": None,
            },
            requests={},
        ),
        Operation(
            name="root_fields_hide_entities",
            query='{ __type(name: "Query") { description fields { name } } }',
            data={
                "__type": {
                    "description": "The catalogue's root.",
                    "fields": [{"name": "products"}, {"name": "node"}],
                }
            },
            requests={},
        ),
        Operation(
            name="mixed_with_data",
            query="{ __schema { queryType { name } } products { name rating } }",
            data={
                "__schema": {"queryType": {"name": "Query"}},
                "products": [{"name": "Table", "rating": 4.0}],
            },
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="disabled",
            query="{ __schema { queryType { name } } }",
            config={"introspection": False},
            data=ANY,
            status=ANY,
            errors=[Err(code="INTROSPECTION_DISABLED")],
            requests={},
            plan=False,
        ),
    ],
)
