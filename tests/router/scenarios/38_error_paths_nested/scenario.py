"""Error paths: an error deep inside an entity (`_entities.0.reviews.1.body`) is reported at
the client's path (`topProducts.0.reviews.1.body`), a root-fetch error keeps its path, and
each error's message and `extensions.code` pass through unchanged."""

from typing import Any

from graphql import GraphQLError

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}, {"id": "p3"}]
REVIEWS = {
    "p1": [{"id": "r1", "body": "Solid"}, {"id": "r2"}],
    "p2": [],
    "p3": [{"id": "r3", "body": "Bright"}],
}


def name(product: dict[str, Any], _info: Any) -> str:
    if "name" not in product:
        raise GraphQLError("name withheld", extensions={"code": "WITHHELD"})
    return str(product["name"])


def body(review: dict[str, Any], _info: Any) -> str:
    if "body" not in review:
        raise GraphQLError("body flagged", extensions={"code": "FLAGGED"})
    return str(review["body"])


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {"topProducts": lambda _p, _i: PRODUCTS},
                "Product": {"name": name},
            },
        ),
        SubgraphSpec(
            "reviews",
            resolvers={
                "Product": {"reviews": lambda product, _i: REVIEWS[product["id"]]},
                "Review": {"body": body},
            },
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="errors_at_client_paths",
            query="{ topProducts { name reviews { id body } } }",
            data={
                "topProducts": [
                    {"name": "Table", "reviews": [{"id": "r1", "body": "Solid"}, None]},
                    {"name": "Chair", "reviews": []},
                    {"name": None, "reviews": [{"id": "r3", "body": "Bright"}]},
                ]
            },
            errors=[
                Err(code="WITHHELD", message="name withheld", path=["topProducts", 2, "name"]),
                Err(
                    code="FLAGGED",
                    message="body flagged",
                    path=["topProducts", 0, "reviews", 1, "body"],
                ),
            ],
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="aliased_error_path",
            query="{ top: topProducts { label: name } }",
            data={"top": [{"label": "Table"}, {"label": "Chair"}, {"label": None}]},
            errors=[Err(code="WITHHELD", message="name withheld", path=["top", 2, "label"])],
            requests={"products": 1},
        ),
    ],
)
