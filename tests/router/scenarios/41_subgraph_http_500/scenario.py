"""reviews answers HTTP 500 with a plain-text body: a failed subrequest, reported like Apollo
Router does ("HTTP fetch failed from 'reviews': 500: Internal Server Error",
code `SUBREQUEST_HTTP_ERROR`; apollographql/router#2118), with partial data."""

import re

from ..failure_pair import products, reviews
from ..model import Err, Operation, Scenario

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[products(), reviews(http_status=500)],
    operations=[
        Operation(
            name="entity_fetch_500",
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
            name="root_fetch_500",
            query="{ recommended { id } topProducts { name } }",
            data={"recommended": None, "topProducts": [{"name": "Table"}, {"name": "Chair"}]},
            errors=[Err(code="SUBREQUEST_HTTP_ERROR", message=re.compile("reviews"))],
            requests={"products": 1, "reviews": 1},
        ),
    ],
)
