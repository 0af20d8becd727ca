"""The `polyshop` command: run the system, migrate databases, and (later) compose and check."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from polyshop.logging import configure_cli_logging
from polyshop.services import SERVICES_BY_NAME
from polyshop.settings import get_stack_settings

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


if __name__ == "__main__":
    app()
