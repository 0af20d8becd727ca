"""A client's operations, read from its source folder: for ``polyshop check --operations`` and
``polyshop persisted extract``.

Operations come from GraphQL files (``*.graphql``, ``*.gql``) and from tagged templates in
JavaScript/TypeScript sources (``gql`...```, ``graphql`...```, as Apollo Client, urql and Relay
write them; ``${Fragment}`` interpolations are dropped, the fragment being found by name among
all the folder's fragments). Each operation is made self-contained with the fragments it uses,
transitively: its own file's first, then any other file's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DefinitionNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    Visitor,
    parse,
    visit,
)

OPERATION_SUFFIXES = (".graphql", ".gql")
SOURCE_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
_TAG = re.compile(r"\b(?:gql|graphql)\s*(?:\(\s*)?`((?:[^`\\]|\\.)*)`", re.DOTALL)
_INTERPOLATION = re.compile(r"\$\{[^}]*\}")
_SKIPPED_DIRECTORIES = frozenset({"node_modules", ".git", "dist", "build"})


@dataclass(frozen=True, slots=True)
class RecordedOperation:
    file: str
    name: str | None
    document: DocumentNode  # the operation plus every fragment it uses


def _files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if _SKIPPED_DIRECTORIES.intersection(path.relative_to(directory).parts):
            continue
        if path.suffix in OPERATION_SUFFIXES + SOURCE_SUFFIXES and path.is_file():
            yield path


def tagged_documents(source: str) -> list[tuple[int, str]]:
    """The GraphQL text of each ``gql`` / ``graphql`` tagged template in a JS/TS source, with
    the line it starts on; interpolations are removed."""
    found = []
    for match in _TAG.finditer(source):
        line = source.count("\n", 0, match.start(1)) + 1
        found.append((line, _INTERPOLATION.sub("", match.group(1))))
    return found


def read_operations(directory: Path) -> tuple[list[RecordedOperation], list[str]]:
    """Every operation under `directory`, each made self-contained with the fragments it uses
    (its own file's first, then any other file's); and the files that could not be read."""
    problems: list[str] = []
    if not directory.is_dir():
        return [], [f"operations directory {directory} does not exist"]
    parsed: list[tuple[str, DocumentNode]] = []
    for path in _files(directory):
        relative = path.relative_to(directory).as_posix()
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{relative}: cannot read: {error}")
            continue
        pieces = [(1, text)] if path.suffix in OPERATION_SUFFIXES else tagged_documents(text)
        for first_line, piece in pieces:
            try:
                parsed.append((relative, parse(piece, no_location=False)))
            except GraphQLSyntaxError as error:
                where = where_of(error, first_line - 1)
                problems.append(f"{relative}: {error.message} ({where})")
    shared: dict[str, FragmentDefinitionNode] = {}
    for _, document in parsed:
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                shared.setdefault(definition.name.value, definition)
    operations = []
    for relative, document in parsed:
        own = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        fragments = {**shared, **own}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                used = _fragments_used(definition, fragments)
                operations.append(
                    RecordedOperation(
                        relative,
                        definition.name.value if definition.name else None,
                        DocumentNode(definitions=(definition, *used)),
                    )
                )
    return operations, problems


def where_of(error: GraphQLError, line_offset: int = 0) -> str:
    """``line L, column C`` of each location of ``error`` (lines shifted by ``line_offset``)."""
    return ", ".join(
        f"line {loc.line + line_offset}, column {loc.column}" for loc in error.locations or ()
    )


class _SpreadCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.append(node.name.value)


def _fragments_used(
    root: DefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """Fragments reachable from `root`, transitively; unknown names are left for validation."""
    used: dict[str, FragmentDefinitionNode] = {}
    pending: list[DefinitionNode] = [root]
    while pending:
        collector = _SpreadCollector()
        visit(pending.pop(), collector)
        for name in collector.names:
            if name in fragments and name not in used:
                used[name] = fragments[name]
                pending.append(fragments[name])
    return list(used.values())
