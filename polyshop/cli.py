"""The `polyshop` command: run the system, migrate databases, and (later) compose and check."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from pathlib import Path
from typing import Annotated

import typer

from polyshop.check import check
from polyshop.logging import configure_cli_logging
from polyshop.persisted import app as persisted_app
from polyshop.services import SERVICES_BY_NAME
from polyshop.settings import get_stack_settings
from router import cli as router_cli

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.command()
def up(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the data directory first (fresh databases).")
    ] = False,
    router: Annotated[bool, typer.Option(help="Start the router too.")] = True,
) -> None:
    """Start PostgreSQL, NATS, migrations, demo data, every subgraph and the router."""
    from polyshop.devstack.stack import up as run_stack

    configure_cli_logging()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_stack(get_stack_settings(), reset=reset, with_router=router))


@app.command()
def migrate(
    service: Annotated[str, typer.Argument(help="Service name, e.g. products.")],
    database_url: Annotated[str, typer.Option(help="SQLAlchemy URL of the service's database.")],
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade one service's database to a revision (default: head)."""
    from polyshop.devstack.migrations import upgrade

    if service not in SERVICES_BY_NAME:
        raise typer.BadParameter(f"unknown service {service!r}; one of {sorted(SERVICES_BY_NAME)}")
    upgrade(service, database_url, revision)
    typer.echo(f"{service}: migrated to {revision}")


@app.command("demo-data")
def demo_data(
    service: Annotated[str, typer.Argument(help="Service name, e.g. products.")],
    database_url: Annotated[str, typer.Option(help="SQLAlchemy URL of the service's database.")],
) -> None:
    """Load a service's demo data (idempotent: only what is missing)."""
    module = importlib.import_module(f"subgraphs.{service}.demo")
    inserted = asyncio.run(module.load_demo_data(database_url))
    typer.echo(f"{service}: demo data loaded ({inserted} new rows)")


auth_app = typer.Typer(no_args_is_help=True, help="Administer the auth service.")
app.add_typer(auth_app, name="auth")


@auth_app.command("create-client")
def create_client(
    client_id: Annotated[str, typer.Argument(help="The new service client's id.")],
    database_url: Annotated[str, typer.Option(help="SQLAlchemy URL of auth_db.")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="An allowed scope (repeat the option).")
    ],
    description: Annotated[str, typer.Option(help="What the client is for.")] = "",
) -> None:
    """Create an OAuth2 client-credentials client; its secret is printed once, never stored."""
    from subgraphs.auth.clients import create_service_client

    secret = asyncio.run(
        create_service_client(database_url, client_id, scope, description=description)
    )
    typer.echo(f"client_id:     {client_id}")
    typer.echo(f"client_secret: {secret}")
    typer.echo("Store the secret now: only its hash is kept.", err=True)


@auth_app.command("rotate-keys")
def rotate_keys(
    database_url: Annotated[str, typer.Option(help="SQLAlchemy URL of auth_db.")],
) -> None:
    """Make a new signing key current; older keys stay published until their tokens expire."""
    from subgraphs.auth.keys import rotate_signing_key
    from subgraphs.auth.settings import get_auth_settings

    kid = asyncio.run(rotate_signing_key(database_url, get_auth_settings()))
    typer.echo(f"new signing key: {kid}")


@app.command("compose")
def compose_command(
    config: Annotated[Path, typer.Option(help="rover-style supergraph config.")] = Path(
        "supergraph.yaml"
    ),
    out: Annotated[Path, typer.Option(help="Directory for the composed SDL files.")] = Path(
        "schema"
    ),
) -> None:
    """Compose the subgraphs of supergraph.yaml into schema/supergraph.graphql."""
    from polyshop.compose import compose_config, gather_subgraph_sdls, write_outputs
    from polyshop.supergraph_config import SupergraphConfigError, read_supergraph_config

    try:
        supergraph_config = read_supergraph_config(config)
        sdls = asyncio.run(gather_subgraph_sdls(supergraph_config))
    except SupergraphConfigError as failure:
        typer.echo(f"error: {failure}", err=True)
        raise typer.Exit(2) from failure
    outcome = compose_config(supergraph_config, sdls)
    if outcome.errors:
        for problem in outcome.errors:
            typer.echo(f"{problem.code}: {problem.message}", err=True)
        typer.echo(f"composition failed with {len(outcome.errors)} error(s)", err=True)
        raise typer.Exit(1)
    for path in write_outputs(outcome, out):
        typer.echo(f"wrote {path}")
    typer.echo("supergraph is up to date")


app.command("check", help="Check a subgraph change against composition and clients.")(check)
app.add_typer(router_cli.app, name="router")
app.add_typer(persisted_app, name="persisted")
app.command("plan", help="Print the query plan of an operation.")(router_cli.plan)


if __name__ == "__main__":
    app()
