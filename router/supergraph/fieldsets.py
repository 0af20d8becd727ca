"""Federation field sets (`key`, `requires`, `provides`) parsed once into selection sets."""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLSyntaxError, OperationDefinitionNode, SelectionSetNode, parse

from .errors import SupergraphError


def parse_field_set(fields: str, where: str = "") -> SelectionSetNode:
    """Parse ``"id sku variation { id }"`` as the selection set ``{ id sku variation { id } }``.

    ``where`` (``"key of Product"``) only serves the error message.
    """
    try:
        return _parse(fields)
    except (GraphQLSyntaxError, ValueError) as error:
        place = f" on {where}" if where else ""
        reason = error.message if isinstance(error, GraphQLSyntaxError) else str(error)
        raise SupergraphError(f"invalid field set {fields!r}{place}: {reason}") from error


@lru_cache(maxsize=4096)
def _parse(fields: str) -> SelectionSetNode:
    document = parse("{" + fields + "}", no_location=True)
    operation = document.definitions[0]
    if len(document.definitions) != 1 or not isinstance(operation, OperationDefinitionNode):
        raise ValueError("not a single selection set")
    return operation.selection_set
