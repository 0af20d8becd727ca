"""Stage objects copy the maps a hook may change on first read, and tell the router whether a
hook changed them (`router.plugins.api`)."""

from __future__ import annotations

from router.planning.nodes import QueryPlan
from router.plugins import Context, ExecutionRequest, SupergraphRequest


def test_supergraph_headers_are_copied_on_read_and_changes_reported() -> None:
    client = {"x-tenant": "a"}
    untouched = SupergraphRequest(Context(), client, "{ a }", None, {}, {})
    assert untouched.changed_headers() is None

    read_only = SupergraphRequest(Context(), client, "{ a }", None, {}, {})
    assert read_only.headers == {"x-tenant": "a"}
    assert read_only.changed_headers() is None  # read, equal: nothing to redo

    changed = SupergraphRequest(Context(), client, "{ a }", None, {}, {})
    changed.headers["x-tenant"] = "b"
    assert changed.changed_headers() == {"x-tenant": "b"}
    assert client == {"x-tenant": "a"}  # the client's map is never changed in place

    replaced = SupergraphRequest(Context(), client, "{ a }", None, {}, {})
    replaced.headers = {"x-other": "c"}
    assert replaced.changed_headers() == {"x-other": "c"}


def test_execution_variables_and_headers_are_the_routers_until_a_hook_reads_them() -> None:
    variables = {"first": 5}
    headers = {"x-correlation-id": "1"}
    plan = QueryPlan(None)
    untouched = ExecutionRequest(Context(), plan, "query", "Q", variables, headers)
    assert untouched.sent_variables() is variables
    assert untouched.sent_headers() is headers

    changed = ExecutionRequest(Context(), plan, "query", "Q", variables, headers)
    changed.variables["first"] = 1
    changed.headers["x-execution"] = "query"
    assert changed.sent_variables() == {"first": 1}
    assert changed.sent_headers() == {"x-correlation-id": "1", "x-execution": "query"}
    assert variables == {"first": 5}
    assert headers == {"x-correlation-id": "1"}
