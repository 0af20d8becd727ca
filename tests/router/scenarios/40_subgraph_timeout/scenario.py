"""reviews answers after 2 s while the router's subgraph timeout is 0.3 s: partial data, the
reviews fields null, one `SUBREQUEST_HTTP_ERROR` per timed-out fetch (Apollo Router reports a
subgraph timeout as a failed subrequest)."""

import re

from ..failure_pair import products, reviews
from ..model import Err, Operation, Scenario

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[products(), reviews(delay=2.0)],
    config={"subgraph_timeout": 0.3},
    operations=[
        Operation(
            name="entity_fetch_times_out",
            query="{ topProducts { name reviews { body } } }",
            data={
                "topProducts": [
                    {"name": "Table", "reviews": None},
                    {"name": "Chair", "reviews": None},
                ]
            },
            errors=[Err(code="SUBREQUEST_HTTP_ERROR", message=re.compile("reviews"))],
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="root_fetch_times_out",
            query="{ topProducts { name } recommended { id } }",
            data={"topProducts": [{"name": "Table"}, {"name": "Chair"}], "recommended": None},
            errors=[Err(code="SUBREQUEST_HTTP_ERROR", message=re.compile("reviews"))],
            requests={"products": 1, "reviews": 1},
        ),
    ],
)
