"""The container's entrypoint: one image, the process chosen by name.

``python -m deploy.entrypoint serve [SERVICE]`` runs a subgraph under uvicorn or the router;
``migrate [SERVICE]`` upgrades the service's database (and loads demo data when asked);
``wait-migrated [SERVICE]`` blocks until the database is at the migrations' head (an init
container, so that pods never serve an old schema); ``healthcheck`` probes the local process
(Docker's HEALTHCHECK: the slim image has no curl).

TLS without a mesh: a subgraph is served over HTTPS (client certificates required with
``POLYSHOP_TLS_CLIENT_CA``) from the same ``POLYSHOP_TLS_*`` variables the service reads; the
router reads its own ``POLYSHOP_ROUTER_TLS_*``. The health probe then speaks HTTPS to the
local process and presents the process's own client certificate (``POLYSHOP_TLS_CLIENT_*``,
or the router's ``POLYSHOP_ROUTER_SUBGRAPH_TLS_*``); it does not check the server's name,
since it connects to 127.0.0.1.

The service comes from the argument or ``POLYSHOP_SERVICE_NAME``. ``serve`` replaces this
process (``exec``), so the server is PID 1 and receives the orchestrator's SIGTERM itself.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyshop.services import ROUTER_PORT, SERVICES_BY_NAME

ROUTER = "router"
REPO_ROOT = Path(__file__).resolve().parents[1]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


class DeploySettings(BaseSettings):
    """What the entrypoint reads; the processes it starts read their own settings.

    ``service_name``, ``port``, ``host`` and ``database_url`` are the same variables the
    subgraph reads (``POLYSHOP_SERVICE_NAME`` ...), so one environment serves both.
    """

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    service_name: str | None = None
    host: str = "0.0.0.0"
    port: int | None = Field(default=None, ge=1, le=65535)
    database_url: str | None = None
    # The router reads its own POLYSHOP_ROUTER_* settings; these two only steer probes and
    # the listening interface (``host`` when POLYSHOP_ROUTER_HOST is unset).
    router_port: int = Field(default=ROUTER_PORT, ge=1, le=65535)
    router_host: str | None = None
    # Load each service's demo data after migrating (development and compose only).
    deploy_demo_data: bool = False
    # How long `wait-migrated` waits for the migration job, and how often it looks.
    deploy_migration_wait_seconds: float = Field(default=300.0, ge=0)
    deploy_migration_poll_seconds: float = Field(default=2.0, gt=0)
    # uvicorn: seconds in-flight requests get after SIGTERM (below the pod's grace period).
    deploy_graceful_shutdown_seconds: int = Field(default=20, ge=0)
    # A subgraph's certificate: uvicorn serves HTTPS (the service reads the same variable).
    tls_certfile: str | None = None
    # Its private key, unless the certificate file holds it.
    tls_keyfile: str | None = None
    # uvicorn requires client certificates signed by this CA bundle (mTLS).
    tls_client_ca: str | None = None
    # The certificate the health probe presents to a subgraph under mTLS.
    tls_client_certfile: str | None = None
    # Its private key, unless the certificate file holds it.
    tls_client_keyfile: str | None = None
    # The router serves HTTPS (its own variable): the health probe speaks HTTPS.
    router_tls_certfile: str | None = None
    # The router's client certificate: the health probe presents it to the router.
    router_subgraph_tls_certfile: str | None = None
    # Its private key, unless the certificate file holds it.
    router_subgraph_tls_keyfile: str | None = None


def service_of(given: str | None, settings: DeploySettings) -> str:
    name = given or settings.service_name
    if name is None:
        raise typer.BadParameter("name a service (argument or POLYSHOP_SERVICE_NAME)")
    if name != ROUTER and name not in SERVICES_BY_NAME:
        raise typer.BadParameter(f"unknown service {name!r}; one of {known_names()}")
    return name


def known_names() -> list[str]:
    return [ROUTER, *SERVICES_BY_NAME]


def port_of(service: str, settings: DeploySettings) -> int:
    if service == ROUTER:
        return settings.router_port
    return settings.port or SERVICES_BY_NAME[service].port


def serve_command(service: str, settings: DeploySettings) -> list[str]:
    """The argv that runs ``service`` in the foreground."""
    if service == ROUTER:
        return [sys.executable, "-m", "router", "--host", settings.router_host or settings.host]
    from subgraphs.kit.http import IMPORT_STRING as service_http

    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"{SERVICES_BY_NAME[service].app_module}:app",
        "--host",
        settings.host,
        "--port",
        str(port_of(service, settings)),
        "--loop",
        "uvloop",
        "--http",
        # httptools with header-size and read-time limits from the service's settings.
        service_http,
        "--no-access-log",
        # The peer is the client: X-Forwarded-For is the app's to judge (auth believes the
        # router's only), never uvicorn's.
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        str(settings.deploy_graceful_shutdown_seconds),
        *tls_arguments(settings),
    ]


def tls_arguments(settings: DeploySettings) -> list[str]:
    """uvicorn's command-line TLS options, from the kit's keyword arguments (none: HTTP)."""
    from polyshop.runtime.tls import uvicorn_ssl_options

    options = uvicorn_ssl_options(
        settings.tls_certfile, settings.tls_keyfile, settings.tls_client_ca
    )
    arguments: list[str] = []
    for name, value in options.items():
        if value is not None:
            arguments += [
                f"--{name.replace('_', '-')}",
                str(int(value) if name == "ssl_cert_reqs" else value),
            ]
    return arguments


def probe_tls(service: str, settings: DeploySettings) -> ssl.SSLContext | None:
    """The health probe's TLS context when the process serves HTTPS (None: plain HTTP).

    The probe talks to its own process on 127.0.0.1: it presents the process's client
    certificate (required under mTLS) and skips the server check, which would need the
    certificate to name 127.0.0.1."""
    if service == ROUTER:
        served = settings.router_tls_certfile
        certfile, keyfile = (
            settings.router_subgraph_tls_certfile,
            settings.router_subgraph_tls_keyfile,
        )
    else:
        served = settings.tls_certfile
        certfile, keyfile = settings.tls_client_certfile, settings.tls_client_keyfile
    if served is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile)
    return context


SERVICE_ARGUMENT = typer.Argument(help="router or a subgraph (default: POLYSHOP_SERVICE_NAME).")


@app.command()
def serve(service: Annotated[str | None, SERVICE_ARGUMENT] = None) -> None:
    """Run the router or one subgraph in the foreground (replaces this process)."""
    settings = DeploySettings()
    name = service_of(service, settings)
    command = serve_command(name, settings)
    typer.echo(f"polyshop {name}: {' '.join(command[1:])}", err=True)
    os.execv(command[0], command)


@app.command()
def migrate(service: Annotated[str | None, SERVICE_ARGUMENT] = None) -> None:
    """Upgrade the service's database to head; with POLYSHOP_DEPLOY_DEMO_DATA, load demo data."""
    from polyshop.devstack.migrations import has_migrations, upgrade

    settings = DeploySettings()
    name = service_of(service, settings)
    url = database_url_of(name, settings)
    if has_migrations(name):
        upgrade(name, url)
        typer.echo(f"{name}: migrated to head")
    else:
        typer.echo(f"{name}: no migrations in this image, nothing to do")
    if settings.deploy_demo_data and importlib.util.find_spec(f"subgraphs.{name}.demo"):
        module = importlib.import_module(f"subgraphs.{name}.demo")
        inserted = asyncio.run(module.load_demo_data(url))
        typer.echo(f"{name}: demo data loaded ({inserted} new rows)")


@app.command("wait-migrated")
def wait_migrated(service: Annotated[str | None, SERVICE_ARGUMENT] = None) -> None:
    """Wait until the service's database is at the migrations' head (exit 1 on time-out)."""
    from polyshop.devstack.migrations import has_migrations

    settings = DeploySettings()
    name = service_of(service, settings)
    if not has_migrations(name):
        return
    url = database_url_of(name, settings)
    deadline = time.monotonic() + settings.deploy_migration_wait_seconds
    while True:
        try:
            pending = pending_heads(name, url)
        except Exception as exc:  # database not reachable yet: the same as "not yet"
            pending = {f"unknown ({type(exc).__name__}: {exc})"}
        if not pending:
            typer.echo(f"{name}: database at head")
            return
        if time.monotonic() >= deadline:
            typer.echo(f"{name}: database not at head: waiting for {sorted(pending)}", err=True)
            raise typer.Exit(1)
        time.sleep(settings.deploy_migration_poll_seconds)


def pending_heads(service: str, url: str) -> set[str]:
    """Heads of the service's migrations that its database has not reached."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from polyshop.devstack.migrations import alembic_config

    config = alembic_config(service, url)
    script = ScriptDirectory.from_config(config)
    current: set[str] = set()

    def read_current(_revision: object, context: MigrationContext) -> list[object]:
        current.update(context.get_current_heads())
        return []

    # What `alembic current` does: the service's own env.py connects (async), we only read.
    with EnvironmentContext(config, script, fn=read_current, dont_mutate=True):
        script.run_env()
    return set(script.get_heads()) - current


def database_url_of(service: str, settings: DeploySettings) -> str:
    if not settings.database_url:
        raise typer.BadParameter(f"{service}: set POLYSHOP_DATABASE_URL")
    return settings.database_url


@app.command()
def healthcheck(
    service: Annotated[str | None, SERVICE_ARGUMENT] = None,
    path: Annotated[str, typer.Option(help="Path to probe.")] = "/health",
    timeout: Annotated[float, typer.Option(help="Seconds.")] = 3.0,
) -> None:
    """Exit 0 when the local process answers ``path`` with 200 (Docker's HEALTHCHECK)."""
    settings = DeploySettings()
    name = service_of(service, settings)
    context = probe_tls(name, settings)
    scheme = "http" if context is None else "https"
    url = f"{scheme}://127.0.0.1:{port_of(name, settings)}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            status = response.status
    except urllib.error.HTTPError as failure:
        status = failure.code
    except OSError as failure:
        typer.echo(f"{name}: {url}: {failure}", err=True)
        raise typer.Exit(1) from failure
    if status != 200:
        typer.echo(f"{name}: {url} answered {status}", err=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
