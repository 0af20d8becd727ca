"""Pass 3: choose the operation to run (the spec's GetOperation, errors as Apollo Router)."""

from __future__ import annotations

from graphql import DocumentNode, OperationDefinitionNode

from ..errors import RequestError


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        for operation in operations:
            if operation.name is not None and operation.name.value == operation_name:
                return operation
        raise RequestError.single(
            f'Unknown operation named "{operation_name}".', "GRAPHQL_UNKNOWN_OPERATION_NAME"
        )
    if len(operations) == 1:
        return operations[0]
    if not operations:
        raise RequestError.single("Must provide an operation.", "GRAPHQL_VALIDATION_FAILED")
    raise RequestError.single(
        "Must provide operation name if query contains multiple operations.",
        "GRAPHQL_VALIDATION_FAILED",
    )
