"""``polyshop persisted extract``: a client's operations as a trusted-document manifest.

Reads a client source folder (`polyshop.operations`: ``.graphql`` files and ``gql`` tags in
JS/TS), makes each operation self-contained with its fragments, prints it canonically and
writes Apollo's manifest format (``apollo-persisted-query-manifest``, version 1) with
``id = sha256(body)``: the same id the client's APQ link computes for that body, so the
client can send ids and the router's ``persisted_queries`` serves them. The manifest is
sorted (by name, then id) so that regenerating it gives the same file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from graphql import OperationDefinitionNode, print_ast

from polyshop.operations import read_operations
from router.persisted.manifest import APOLLO_FORMAT

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Trusted documents.")


def build_manifest(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """The manifest of the operations under ``folder``, and the problems found reading it."""
    operations, problems = read_operations(folder)
    entries: dict[str, dict[str, str]] = {}
    for recorded in operations:
        definition = recorded.document.definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        if recorded.name is None:
            problems.append(f"{recorded.file}: an anonymous operation cannot be persisted")
            continue
        body = print_ast(recorded.document)
        digest = hashlib.sha256(body.encode()).hexdigest()
        entries[digest] = {
            "id": digest,
            "body": body,
            "name": recorded.name,
            "type": definition.operation.value,
        }
    ordered = sorted(entries.values(), key=lambda entry: (entry["name"], entry["id"]))
    return {"format": APOLLO_FORMAT, "version": 1, "operations": ordered}, problems


@app.command("extract")
def extract(
    folder: Annotated[Path, typer.Argument(help="The client's source folder.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the manifest (JSON).")
    ] = Path("persisted-query-manifest.json"),
) -> None:
    """Write the operations of FOLDER (.graphql files, gql tags in .js/.ts/.tsx) as an Apollo
    persisted-query manifest; exit 1 when a file cannot be read or parsed."""
    manifest, problems = build_manifest(folder)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    output.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    typer.echo(f"wrote {len(manifest['operations'])} operation(s) to {output}")
