"""reviews is down (connection refused): the router still answers with what products gave,
nulls what reviews would have filled, and adds one `SUBREQUEST_HTTP_ERROR` per failed fetch.
Apollo Router: "HTTP fetch failed from '<subgraph>': ..." with that code
(apollographql/router#3141, #2117)."""

import re

from ..failure_pair import products, reviews
from ..model import Err, Operation, Scenario

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[products(), reviews(down=True)],
    operations=[
        Operation(
            name="entity_fetch_fails",
            query="{ topProducts { name reviews { body } } }",
            data={
                "topProducts": [
                    {"name": "Table", "reviews": None},
                    {"name": "Chair", "reviews": None},
                ]
            },
            errors=[Err(code="SUBREQUEST_HTTP_ERROR", message=re.compile("reviews"))],
            requests={"products": 1},
            planned_requests=2,
        ),
        Operation(
            name="root_fetch_fails",
            query="{ topProducts { name } recommended { id } }",
            data={"topProducts": [{"name": "Table"}, {"name": "Chair"}], "recommended": None},
            errors=[Err(code="SUBREQUEST_HTTP_ERROR", message=re.compile("reviews"))],
            requests={"products": 1},
            planned_requests=2,
        ),
        Operation(
            name="healthy_part_only",
            query="{ topProducts { id name } }",
            data={"topProducts": [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]},
            requests={"products": 1},
        ),
    ],
)
