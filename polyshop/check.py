"""`polyshop check`: is a proposed subgraph schema safe to deploy on its own?

Composes the subgraphs of supergraph.yaml with the proposed SDL in place of one subgraph's
and compares the client-facing API schema before and after. Reports:

- composition errors of the proposed set (and of the current set, which is the baseline);
- breaking changes of the API schema (graphql-core's `find_breaking_changes`, plus what it
  leaves out: a non-null argument or input field losing its default, an input becoming
  `@oneOf`), and dangerous changes as warnings;
- with ``--operations DIR``: recorded client operations (``*.graphql``/``*.gql`` under DIR)
  that no longer validate against the new API schema. Fragments may live in any file there.

Exit codes: 0 safe, 1 breaking changes or invalid operations, 2 composition errors or
unreadable input.

``--json`` prints one object (``format_version`` 1; fields are only ever added)::

    {
      "format_version": 1,
      "subgraph": "products",
      "ok": false,                       # exit_code == 0
      "exit_code": 1,
      "input_errors": ["..."],           # unreadable config/schema/operation files
      "composition_errors": [            # stage: "proposed" or "current" (the baseline)
        {"stage": "proposed", "code": "...", "message": "...",
         "subgraphs": ["..."], "coordinates": ["Type.field"]}
      ],
      "breaking_changes": [{"code": "FIELD_REMOVED", "message": "..."}],
      "dangerous_changes": [{"code": "VALUE_ADDED_TO_ENUM", "message": "..."}],
      "operations": null | {             # null without --operations
        "checked": 3,
        "invalid": [
          {"file": "shop/product.graphql",   # relative to DIR, "/"-separated
           "operation": "ProductPage",        # null for an anonymous operation
           "valid_before": true,              # null when the baseline did not compose
           "errors": [{"message": "...", "locations": [{"line": 4, "column": 5}]}]}
        ]
      }
    }
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    is_required_argument,
    is_required_input_field,
    validate,
)
from graphql.utilities import find_breaking_changes, find_dangerous_changes

from polyshop.compose import ComposeOutcome, compose_config, gather_subgraph_sdls
from polyshop.operations import RecordedOperation, read_operations, where_of
from polyshop.supergraph_config import SupergraphConfigError, read_supergraph_config
from router.composition import CompositionError
from router.supergraph import SupergraphError, read_supergraph

FORMAT_VERSION = 1
EXIT_SAFE, EXIT_BREAKING, EXIT_INVALID = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Change:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class StagedCompositionError:
    stage: str  # "proposed" or "current"
    error: CompositionError


@dataclass(frozen=True, slots=True)
class InvalidOperation:
    file: str
    operation: str | None
    errors: tuple[GraphQLError, ...]
    valid_before: bool | None


@dataclass(slots=True)
class CheckReport:
    subgraph: str
    input_errors: list[str] = field(default_factory=list)
    composition_errors: list[StagedCompositionError] = field(default_factory=list)
    breaking: list[Change] = field(default_factory=list)
    dangerous: list[Change] = field(default_factory=list)
    operations_checked: int | None = None
    invalid_operations: list[InvalidOperation] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.input_errors or self.composition_errors:
            return EXIT_INVALID
        if self.breaking or self.invalid_operations:
            return EXIT_BREAKING
        return EXIT_SAFE

    def to_json(self) -> dict[str, Any]:
        operations = None
        if self.operations_checked is not None:
            operations = {
                "checked": self.operations_checked,
                "invalid": [
                    {
                        "file": op.file,
                        "operation": op.operation,
                        "valid_before": op.valid_before,
                        "errors": [_error_json(e) for e in op.errors],
                    }
                    for op in self.invalid_operations
                ],
            }
        return {
            "format_version": FORMAT_VERSION,
            "subgraph": self.subgraph,
            "ok": self.exit_code == EXIT_SAFE,
            "exit_code": self.exit_code,
            "input_errors": list(self.input_errors),
            "composition_errors": [
                {
                    "stage": staged.stage,
                    "code": staged.error.code,
                    "message": staged.error.message,
                    "subgraphs": list(staged.error.subgraphs),
                    "coordinates": list(staged.error.coordinates),
                }
                for staged in self.composition_errors
            ],
            "breaking_changes": [{"code": c.code, "message": c.message} for c in self.breaking],
            "dangerous_changes": [{"code": c.code, "message": c.message} for c in self.dangerous],
            "operations": operations,
        }


def _error_json(error: GraphQLError) -> dict[str, Any]:
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]
    return {"message": error.message, "locations": locations}


# -- schema diff ------------------------------------------------------------------------------


def diff_api_schemas(old: GraphQLSchema, new: GraphQLSchema) -> tuple[list[Change], list[Change]]:
    """Breaking and dangerous changes from `old` to `new`: graphql-core's, plus our additions."""
    breaking = [Change(c.type.name, c.description) for c in find_breaking_changes(old, new)]
    dangerous = [Change(c.type.name, c.description) for c in find_dangerous_changes(old, new)]
    extra, superseded = _changes_graphql_core_misses(old, new)
    dangerous = [c for c in dangerous if c.message not in superseded]
    return breaking + extra, dangerous


def _changes_graphql_core_misses(
    old: GraphQLSchema, new: GraphQLSchema
) -> tuple[list[Change], set[str]]:
    """A non-null argument/input field that loses its default becomes required, so operations
    that omit it fail: graphql-core calls that merely dangerous. Returns the breaking changes
    and the dangerous messages they replace."""
    found: list[Change] = []
    superseded: set[str] = set()
    for name, old_type in old.type_map.items():
        new_type = new.type_map.get(name)
        if name.startswith("__") or new_type is None:
            continue
        if isinstance(old_type, GraphQLObjectType | GraphQLInterfaceType) and isinstance(
            new_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            for field_name, old_field in old_type.fields.items():
                new_field = new_type.fields.get(field_name)
                if new_field is None:
                    continue
                for arg_name, old_arg in old_field.args.items():
                    new_arg = new_field.args.get(arg_name)
                    if (
                        new_arg is not None
                        and str(old_arg.type) == str(new_arg.type)
                        and not is_required_argument(old_arg)
                        and is_required_argument(new_arg)
                    ):
                        where = f"{name}.{field_name}({arg_name}:)"
                        found.append(
                            Change(
                                "ARG_BECAME_REQUIRED",
                                f"Argument {where} lost its default value and is now required.",
                            )
                        )
                        superseded.add(f"{where} defaultValue was removed.")
        elif isinstance(old_type, GraphQLInputObjectType) and isinstance(
            new_type, GraphQLInputObjectType
        ):
            for field_name, old_input in old_type.fields.items():
                new_input = new_type.fields.get(field_name)
                if (
                    new_input is not None
                    and str(old_input.type) == str(new_input.type)
                    and not is_required_input_field(old_input)
                    and is_required_input_field(new_input)
                ):
                    found.append(
                        Change(
                            "INPUT_FIELD_BECAME_REQUIRED",
                            f"Input field {name}.{field_name} lost its default value "
                            "and is now required.",
                        )
                    )
                    superseded.add(f"{name}.{field_name} defaultValue was removed.")
            if getattr(new_type, "is_one_of", False) and not getattr(old_type, "is_one_of", False):
                found.append(
                    Change(
                        "INPUT_BECAME_ONE_OF",
                        f"Input {name} became @oneOf: values setting several fields now fail.",
                    )
                )
    return found, superseded


# -- recorded operations ----------------------------------------------------------------------


def check_operations(
    operations: list[RecordedOperation], old: GraphQLSchema | None, new: GraphQLSchema
) -> list[InvalidOperation]:
    invalid = []
    for op in operations:
        errors = validate(new, op.document)
        if errors:
            before = None if old is None else not validate(old, op.document)
            invalid.append(InvalidOperation(op.file, op.name, tuple(errors), before))
    return invalid


# -- the check --------------------------------------------------------------------------------


async def run_check(
    subgraph: str, schema: Path, config: Path, operations: Path | None = None
) -> CheckReport:
    """Everything `polyshop check` reports, without printing."""
    report = CheckReport(subgraph)
    try:
        supergraph_config = await asyncio.to_thread(read_supergraph_config, config)
        supergraph_config.entry(subgraph)
        proposed_sdl = await asyncio.to_thread(schema.read_text)
        current_sdls = await gather_subgraph_sdls(supergraph_config)
    except SupergraphConfigError as error:
        report.input_errors.append(str(error))
        return report
    except (OSError, UnicodeDecodeError) as error:
        report.input_errors.append(f"cannot read {schema}: {error}")
        return report

    old_api = _api_schema("current", compose_config(supergraph_config, current_sdls), report)
    proposed = compose_config(supergraph_config, {**current_sdls, subgraph: proposed_sdl})
    new_api = _api_schema("proposed", proposed, report)
    if old_api is not None and new_api is not None:
        report.breaking, report.dangerous = diff_api_schemas(old_api, new_api)
    if operations is not None:
        recorded, problems = await asyncio.to_thread(read_operations, operations)
        report.input_errors.extend(problems)
        report.operations_checked = len(recorded)
        if new_api is not None:
            report.invalid_operations = check_operations(recorded, old_api, new_api)
    return report


def _api_schema(stage: str, outcome: ComposeOutcome, report: CheckReport) -> GraphQLSchema | None:
    if outcome.errors or outcome.supergraph_sdl is None:
        errors = outcome.errors or (CompositionError("NO_SUPERGRAPH", "composition gave nothing"),)
        report.composition_errors.extend(StagedCompositionError(stage, e) for e in errors)
        return None
    try:
        return read_supergraph(outcome.supergraph_sdl).api_schema
    except SupergraphError as error:
        problem = CompositionError("INVALID_SUPERGRAPH", str(error))
        report.composition_errors.append(StagedCompositionError(stage, problem))
        return None


# -- output -----------------------------------------------------------------------------------


def render_text(report: CheckReport) -> str:
    """The report for people: one section per category, the verdict last."""
    lines = [f"polyshop check: subgraph {report.subgraph}"]
    for message in report.input_errors:
        lines.append(f"error: {message}")
    if report.composition_errors:
        lines.append(f"Composition errors ({len(report.composition_errors)}):")
        for staged in report.composition_errors:
            tag = "" if staged.stage == "proposed" else " [current subgraphs]"
            lines.append(f"  x {staged.error.code}{tag}: {staged.error.message}")
    elif not report.input_errors:
        lines.append("Composition: ok")
    if report.breaking:
        lines.append(f"Breaking changes ({len(report.breaking)}):")
        lines.extend(f"  x {c.code}: {c.message}" for c in report.breaking)
    if report.dangerous:
        lines.append(f"Warnings ({len(report.dangerous)}):")
        lines.extend(f"  ! {c.code}: {c.message}" for c in report.dangerous)
    if report.operations_checked is not None:
        lines.append(
            f"Operations: {report.operations_checked} checked, "
            f"{len(report.invalid_operations)} no longer valid"
        )
        for op in report.invalid_operations:
            before = " (already invalid before)" if op.valid_before is False else ""
            lines.append(f"  x {op.file} {op.operation or '<anonymous>'}{before}:")
            for error in op.errors:
                where = where_of(error)
                lines.append(f"      {error.message}" + (f" ({where})" if where else ""))
    verdict = {EXIT_SAFE: "safe to deploy", EXIT_BREAKING: "BREAKING", EXIT_INVALID: "FAILED"}
    lines.append(f"Result: {verdict[report.exit_code]} (exit {report.exit_code})")
    return "\n".join(lines)


def check(
    subgraph: Annotated[str, typer.Argument(help="Name of the subgraph in supergraph.yaml.")],
    schema: Annotated[Path, typer.Option(help="The proposed SDL of that subgraph.")],
    config: Annotated[Path, typer.Option(help="rover-style supergraph config.")] = Path(
        "supergraph.yaml"
    ),
    operations: Annotated[
        Path | None,
        typer.Option(help="Directory of recorded client operations (*.graphql) to validate."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (see polyshop.check).")
    ] = False,
) -> None:
    """Check that a subgraph's proposed schema composes and breaks no client."""
    report = asyncio.run(run_check(subgraph, schema, config, operations))
    if json_output:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        typer.echo(render_text(report))
    raise typer.Exit(report.exit_code)


__all__ = [
    "Change",
    "CheckReport",
    "InvalidOperation",
    "check",
    "diff_api_schemas",
    "read_operations",
    "render_text",
    "run_check",
]
