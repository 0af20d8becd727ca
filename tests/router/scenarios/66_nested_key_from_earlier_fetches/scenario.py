"""A nested composite key whose fields come from earlier fetches: billing knows orders by
`id customer { id region { code } }`; shop has the order id, crm the customer, geo the
customer's region. The fetches are ordered shop → crm → geo → billing so every billing
representation is complete (never `ENTITY_KEY_MISSING`, never a rejected representation)."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

CUSTOMERS = {"o1": "c1", "o2": "c2"}
REGIONS = {"c1": "EU", "c2": "US"}


def complete_keys(recorder: Recorder) -> None:
    (billing,) = recorder.of("billing")
    assert billing.representations == [
        {"__typename": "Order", "id": "o1", "customer": {"id": "c1", "region": {"code": "EU"}}},
        {"__typename": "Order", "id": "o2", "customer": {"id": "c2", "region": {"code": "US"}}},
    ]
    (geo,) = recorder.of("geo")
    assert geo.finished < billing.started


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "shop",
            resolvers={
                "Query": {
                    "orders": lambda _p, _i: [{"id": "o1", "total": 30}, {"id": "o2", "total": 5}]
                }
            },
        ),
        SubgraphSpec(
            "crm",
            entities={
                "Order": lambda rep, _i: {
                    "customer": {"id": CUSTOMERS[rep["id"]], "name": CUSTOMERS[rep["id"]].upper()}
                },
                "Customer": lambda rep, _i: {"name": rep["id"].upper()},
            },
        ),
        SubgraphSpec(
            "geo",
            resolvers={
                "Region": {"name": lambda r, _i: {"EU": "Europe", "US": "America"}[r["code"]]}
            },
            entities={
                "Customer": lambda rep, _i: {"region": {"code": REGIONS[rep["id"]]}},
                "Region": lambda rep, _i: {"code": rep["code"]},
            },
        ),
        SubgraphSpec(
            "billing",
            entities={
                "Order": lambda rep, _i: {
                    "invoice": f"{rep['id']}-{rep['customer']['region']['code']}"
                }
            },
        ),
    ],
    operations=[
        Operation(
            name="key_from_two_earlier_fetches",
            query="{ orders { total invoice } }",
            data={"orders": [{"total": 30, "invoice": "o1-EU"}, {"total": 5, "invoice": "o2-US"}]},
            requests={"shop": 1, "crm": 1, "geo": 1, "billing": 1},
            check=complete_keys,
        ),
        Operation(
            name="key_fields_also_selected",
            query="{ orders { invoice customer { name region { code name } } } }",
            data={
                "orders": [
                    {
                        "invoice": "o1-EU",
                        "customer": {"name": "C1", "region": {"code": "EU", "name": "Europe"}},
                    },
                    {
                        "invoice": "o2-US",
                        "customer": {"name": "C2", "region": {"code": "US", "name": "America"}},
                    },
                ]
            },
            requests={"shop": 1, "crm": 1, "geo": 1, "billing": 1},
            check=complete_keys,
        ),
    ],
)
