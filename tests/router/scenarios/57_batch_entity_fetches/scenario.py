"""Entity fetches to one subgraph that become due at the same stage go out as one request
(`BatchFetch`): one aliased ``_entities`` selection per type/shape, each fed by every path that
needs it. On the public gateway benchmark's nested query (these are its four subgraphs) that
is 7 subgraph requests, as Hive's planner makes, where one request per path made 13."""

from typing import Any

from tests.support.subgraph_server import Info, Recorder, SubgraphSpec

from ..model import Err, Operation, Scenario

USERS = {
    "u1": {"id": "u1", "name": "Ada", "username": "ada"},
    "u2": {"id": "u2", "name": "Bob", "username": "bob"},
}
PRODUCTS = {
    "p1": {"upc": "p1", "name": "Table", "price": 100, "weight": 20},
    "p2": {"upc": "p2", "name": "Chair", "price": 50, "weight": 5},
}
STOCK = {"p1": True, "p2": False}
REVIEWS = [
    {"id": "r1", "body": "good", "upc": "p1", "author": "u1"},
    {"id": "r2", "body": "meh", "upc": "p1", "author": "u2"},
    {"id": "r3", "body": "nice", "upc": "p2", "author": "u1"},
]


def review(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "body": row["body"], "_upc": row["upc"], "_author": row["author"]}


def shipping_estimate(product: dict[str, Any], _info: Info) -> int:
    return int(product["price"]) // 10 + int(product["weight"])


def notes(product: dict[str, Any], _info: Info) -> str:
    if product["upc"] == "p2":
        raise ValueError("no notes for Chair")
    return "sturdy"


def batched_reviews(recorder: Recorder) -> None:
    """The reviews request carries two `_entities` selections (Product and User)."""
    (request,) = recorder.of("reviews")
    assert request.query.count("_entities(") == 2, request.query
    assert sorted(request.variables) == ["__batch_reps_0", "__batch_reps_1"]
    sent = sorted(request.variables.values(), key=lambda reps: reps[0]["__typename"])
    assert sent == [
        [{"__typename": "Product", "upc": "p1"}, {"__typename": "Product", "upc": "p2"}],
        [{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u2"}],
    ]


def product(upc: str, with_reviews: Any = None) -> dict[str, Any]:
    row = PRODUCTS[upc]
    result: dict[str, Any] = {
        "inStock": STOCK[upc],
        "name": row["name"],
        "price": row["price"],
        "shippingEstimate": row["price"] // 10 + row["weight"],
        "upc": upc,
        "weight": row["weight"],
    }
    if with_reviews is not None:
        result["reviews"] = with_reviews
    return result


def user(uid: str) -> dict[str, Any]:
    return {"id": uid, "username": USERS[uid]["username"], "name": USERS[uid]["name"]}


def reviews_of_user(uid: str) -> list[dict[str, Any]]:
    return [
        {"id": r["id"], "body": r["body"], "product": product(r["upc"])}
        for r in REVIEWS
        if r["author"] == uid
    ]


def reviews_of_product(upc: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r["id"],
            "body": r["body"],
            "author": {**user(r["author"]), "reviews": reviews_of_user(r["author"])},
        }
        for r in REVIEWS
        if r["upc"] == upc
    ]


# The heavy query's answer, spelled from the tables above (its nesting repeats itself).
HEAVY_DATA = {
    "users": [
        {
            **user(uid),
            "reviews": [
                {
                    "id": r["id"],
                    "body": r["body"],
                    "product": product(r["upc"], reviews_of_product(r["upc"])),
                }
                for r in REVIEWS
                if r["author"] == uid
            ],
        }
        for uid in ("u1", "u2")
    ],
    "topProducts": [{**product(upc), "reviews": reviews_of_product(upc)} for upc in ("p1", "p2")],
}

HEAVY = """
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review
    author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review
    product { ...Product } } } } }
}"""

SUBGRAPHS = [
    SubgraphSpec(
        "accounts",
        resolvers={"Query": {"users": lambda _p, _i: [USERS["u1"], USERS["u2"]]}},
        entities={"User": lambda rep, _i: USERS.get(rep["id"])},
    ),
    SubgraphSpec(
        "products",
        resolvers={
            "Query": {"topProducts": lambda _p, _i, first=5: list(PRODUCTS.values())[:first]}
        },
        entities={"Product": lambda rep, _i: PRODUCTS.get(rep["upc"])},
    ),
    SubgraphSpec(
        "reviews",
        resolvers={
            "User": {
                "reviews": lambda u, _i: [review(r) for r in REVIEWS if r["author"] == u["id"]]
            },
            "Product": {
                "reviews": lambda p, _i: [review(r) for r in REVIEWS if r["upc"] == p["upc"]]
            },
            "Review": {
                "product": lambda r, _i: {"upc": r["_upc"]},
                "author": lambda r, _i: {
                    "id": r["_author"],
                    "username": USERS[r["_author"]]["username"],
                },
            },
        },
        entities={
            "User": lambda rep, _i: {"id": rep["id"]},
            "Product": lambda rep, _i: {"upc": rep["upc"]},
            "Review": lambda rep, _i: next(
                (review(r) for r in REVIEWS if r["id"] == rep["id"]), None
            ),
        },
    ),
    SubgraphSpec(
        "inventory",
        resolvers={
            "Product": {
                "inStock": lambda p, _i: STOCK[p["upc"]],
                "shippingEstimate": shipping_estimate,
                "notes": notes,
            }
        },
        entities={"Product": lambda rep, _i: {"upc": rep["upc"]}},
    ),
]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=SUBGRAPHS,
    operations=[
        Operation(
            name="heavy_in_seven_requests",
            query=HEAVY,
            data=HEAVY_DATA,
            requests={"accounts": 2, "products": 2, "reviews": 1, "inventory": 2},
            check=batched_reviews,
        ),
        Operation(
            name="two_types_one_request",
            query="{ users { name reviews { body } } topProducts { name reviews { body } } }",
            data={
                "users": [
                    {"name": "Ada", "reviews": [{"body": "good"}, {"body": "nice"}]},
                    {"name": "Bob", "reviews": [{"body": "meh"}]},
                ],
                "topProducts": [
                    {"name": "Table", "reviews": [{"body": "good"}, {"body": "meh"}]},
                    {"name": "Chair", "reviews": [{"body": "nice"}]},
                ],
            },
            requests={"accounts": 1, "products": 1, "reviews": 1},
            check=batched_reviews,
        ),
        Operation(
            name="one_alias_many_paths",
            # Product names at two paths: one `_entities` selection fed from both.
            query="""{ users { reviews { product { name } } }
                       topProducts { reviews { product { name } } } }""",
            data={
                "users": [
                    {"reviews": [{"product": {"name": "Table"}}, {"product": {"name": "Chair"}}]},
                    {"reviews": [{"product": {"name": "Table"}}]},
                ],
                "topProducts": [
                    {"reviews": [{"product": {"name": "Table"}}, {"product": {"name": "Table"}}]},
                    {"reviews": [{"product": {"name": "Chair"}}]},
                ],
            },
            requests={"accounts": 1, "products": 2, "reviews": 1},
            check=lambda recorder: _deduplicated_products(recorder),
        ),
        Operation(
            name="error_in_batch_on_every_path",
            # notes fails for Chair: the error is reported at each client path of Chair.
            query="""{ users { reviews { product { notes } } }
                       topProducts { reviews { product { notes } } } }""",
            data={
                "users": [
                    {"reviews": [{"product": {"notes": "sturdy"}}, {"product": {"notes": None}}]},
                    {"reviews": [{"product": {"notes": "sturdy"}}]},
                ],
                "topProducts": [
                    {
                        "reviews": [
                            {"product": {"notes": "sturdy"}},
                            {"product": {"notes": "sturdy"}},
                        ]
                    },
                    {"reviews": [{"product": {"notes": None}}]},
                ],
            },
            errors=[
                Err(
                    message="no notes for Chair",
                    path=["users", 0, "reviews", 1, "product", "notes"],
                ),
                Err(
                    message="no notes for Chair",
                    path=["topProducts", 1, "reviews", 0, "product", "notes"],
                ),
            ],
            requests={"accounts": 1, "products": 1, "reviews": 1, "inventory": 1},
        ),
    ],
)


def _deduplicated_products(recorder: Recorder) -> None:
    """Both paths feed one `_entities` selection; p1 is sent once."""
    (request,) = [r for r in recorder.of("products") if r.is_entities]
    assert request.variables == {
        "__batch_reps_0": [
            {"__typename": "Product", "upc": "p1"},
            {"__typename": "Product", "upc": "p2"},
        ]
    }, request.variables
