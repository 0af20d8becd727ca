"""The router's commands.

``polyshop router`` / ``python -m router`` run `serve` (the `app` group's default);
``polyshop router config-schema`` prints the JSON Schema of ``router.yaml``; ``polyshop plan``
runs `plan`. Options left out fall back to the ``POLYSHOP_ROUTER_*`` settings and the
configuration file (see `router.settings`, `router.config`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from pydantic import ValidationError

from router.config import ConfigError, config_json_schema, describe_error
from router.settings import RouterSettings

if TYPE_CHECKING:
    from polyshop.http_limits import GuardedHttp

SUPERGRAPH_HELP = "Supergraph SDL file or http(s) URL (env POLYSHOP_ROUTER_SUPERGRAPH)."
FACTORY = "router.cli:worker_app"


app = typer.Typer(add_completion=False, help="Run the federation router.")


@app.callback(invoke_without_command=True)
def router_command(
    ctx: typer.Context,
    config: Annotated[
        str | None, typer.Option(help="router.yaml (env POLYSHOP_ROUTER_CONFIG).")
    ] = None,
    supergraph: Annotated[str | None, typer.Option(help=SUPERGRAPH_HELP)] = None,
    port: Annotated[int | None, typer.Option(help="Port (env POLYSHOP_ROUTER_PORT).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface (env POLYSHOP_ROUTER_HOST).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (env POLYSHOP_ROUTER_WORKERS).")
    ] = None,
    hot_reload: Annotated[
        bool | None,
        typer.Option(
            "--hot-reload/--no-hot-reload",
            help="Watch the supergraph and config files (env POLYSHOP_ROUTER_HOT_RELOAD).",
        ),
    ] = None,
    dev: Annotated[
        bool | None,
        typer.Option("--dev/--no-dev", help="Error detail (env POLYSHOP_ROUTER_DEV_MODE)."),
    ] = None,
) -> None:
    """Run the federation router: /graphql (GraphiQL in a browser) and /health."""
    if ctx.invoked_subcommand is None:
        serve(config, supergraph, port, host, workers, hot_reload, dev)


@app.command("config-schema")
def config_schema() -> None:
    """Print the JSON Schema of router.yaml (for editors and CI checks)."""
    typer.echo(orjson.dumps(config_json_schema(), option=orjson.OPT_INDENT_2).decode())


def load_settings(**given: Any) -> RouterSettings:
    """Settings from arguments, environment and ``router.yaml``; a bad file or value ends the
    command with one ``error:`` line per problem (exit 2)."""
    try:
        return RouterSettings(**{name: value for name, value in given.items() if value is not None})
    except (ConfigError, ValidationError) as error:
        typer.echo(f"error: invalid router configuration: {describe_error(error)}", err=True)
        raise typer.Exit(2) from error


def serve(
    config: str | None = None,
    supergraph: str | None = None,
    port: int | None = None,
    host: str | None = None,
    workers: int | None = None,
    hot_reload: bool | None = None,
    dev: bool | None = None,
) -> None:
    """Run the router with these values over the environment and ``router.yaml`` (the
    ``polyshop router`` / ``python -m router`` options; None: not given)."""
    settings = load_settings(
        config=config,
        supergraph=supergraph,
        port=port,
        host=host,
        workers=workers,
        hot_reload=hot_reload,
        dev_mode=dev,
    )
    check_plugins(settings)
    run(settings)


def check_plugins(settings: RouterSettings) -> None:
    """Resolve every listed plugin and validate its configuration before serving: a plugin
    that cannot load ends the command with ``error: plugin '<name>': <reason>`` (exit 2),
    like an invalid configuration file. (Starting them is the router's start-up's job.)"""
    from router.plugins import PluginLoadError
    from router.plugins.loader import instantiate

    for entry in settings.plugins:
        try:
            instantiate(entry)
        except PluginLoadError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error


def run(settings: RouterSettings) -> None:
    """Serve with uvicorn (uvloop + httptools) until interrupted; logs as JSON lines."""
    import uvicorn

    from router.telemetry import configure_logging

    configure_logging(settings.telemetry.log_level, json=settings.telemetry.log_json)
    shown_host = "localhost" if settings.host in ("0.0.0.0", "::", "") else settings.host
    web = settings.scheme
    typer.echo(
        f"PolyShop router on {web}://{settings.host}:{settings.port} "
        f"(supergraph {settings.supergraph}"
        f"{f', config {settings.config}' if settings.config else ''})\n"
        f"GraphiQL: {web}://{shown_host}:{settings.port}{settings.graphql_path}",
        err=False,
    )
    options = uvicorn_options(settings)
    if settings.workers == 1:
        from router.http import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # Worker processes import the app themselves: hand them these exact settings. They are
    # started by pickling uvicorn's config, so the protocol goes by name (see `WorkerHttp`).
    os.environ.update(settings_env(settings))
    options["http"] = WORKER_HTTP
    with metrics_directory(settings):
        uvicorn.run(FACTORY, factory=True, workers=settings.workers, **options)


@contextlib.contextmanager
def metrics_directory(settings: RouterSettings) -> Iterator[None]:
    """Workers count their metrics in files of one directory, so that ``/metrics`` on any
    of them shows the sum (Prometheus multiprocess mode, docs/decisions/0029): a fresh
    temporary directory, named to the workers before they start and removed after them,
    unless the operator named one (``PROMETHEUS_MULTIPROC_DIR``)."""
    if not settings.telemetry.metrics_enabled or settings.metrics_multiprocess_dir is not None:
        yield
        return
    directory = tempfile.mkdtemp(prefix="polyshop-router-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def uvicorn_options(settings: RouterSettings) -> dict[str, Any]:
    """uvicorn's keyword arguments for ``settings`` (listener, TLS, logging, shutdown, and
    httptools with the header-size and read-time limits of `polyshop.http_limits`)."""

    return {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": router_http(settings),
        "lifespan": "on",
        "access_log": False,
        # The client address is the peer's; X-Forwarded-For only from TRUSTED_PROXIES, read
        # by the app (uvicorn would believe any local peer's).
        "proxy_headers": False,
        "log_level": settings.telemetry.log_level,
        "log_config": None,  # ours (configure_logging), not uvicorn's plain-text one
        "timeout_graceful_shutdown": settings.drain_timeout,
        **settings.uvicorn_ssl_options(),
    }


def router_http(settings: RouterSettings) -> type[GuardedHttp]:
    """uvicorn's protocol class with ``settings``' limits on headers and read times."""
    from polyshop.http_limits import guarded_http

    return guarded_http(
        max_header_bytes=settings.limits.http1_max_request_buf_size,
        header_read_timeout=settings.http_header_read_timeout,
        body_read_timeout=settings.http_body_read_timeout,
    )


WORKER_HTTP = "router.cli:WorkerHttp"


def __getattr__(name: str) -> Any:
    """``WorkerHttp``: the protocol of a worker process, from the settings of its
    environment (uvicorn imports it by name in each worker)."""
    if name == "WorkerHttp":
        return router_http(RouterSettings())
    raise AttributeError(name)


def worker_app() -> Any:
    """The app of one worker process (``workers > 1``): settings from the environment."""
    from router.http import create_app
    from router.telemetry import configure_logging

    settings = RouterSettings()
    configure_logging(settings.telemetry.log_level, json=settings.telemetry.log_json)
    return create_app(settings)


def settings_env(settings: RouterSettings) -> dict[str, str]:
    """``POLYSHOP_ROUTER_*`` variables that rebuild ``settings`` in another process.

    Only the values given as arguments travel: the worker inherits the environment and reads
    the configuration file itself, so the file keeps its place below the environment there
    too, and a reloaded file reaches every worker."""
    env: dict[str, str] = {}
    given = settings.given_values()
    for name, value in settings.model_dump(mode="json", include=set(given)).items():
        key = f"POLYSHOP_ROUTER_{name.upper()}"
        if value is None:
            continue
        if isinstance(value, str):
            env[key] = value
        else:
            env[key] = orjson.dumps(value).decode()
    return env


def plan(
    operation_file: Annotated[Path, typer.Argument(help="File holding the GraphQL operation.")],
    supergraph: Annotated[str | None, typer.Option(help=SUPERGRAPH_HELP)] = None,
    operation_name: Annotated[
        str | None, typer.Option(help="Operation to plan when the file holds several.")
    ] = None,
    variables: Annotated[str | None, typer.Option(help="Variables as JSON, or @file.json.")] = None,
) -> None:
    """Print the query plan of an operation against a supergraph."""
    from router.engine import Engine
    from router.http.runtime import engine_config
    from router.operation import RequestError
    from router.planning import PlanningError, plan_to_text
    from router.supergraph import SupergraphError, load_supergraph

    settings = load_settings(supergraph=supergraph)
    try:
        query = operation_file.read_text(encoding="utf-8")
        parsed_variables = _variables(variables)
        model = asyncio.run(load_supergraph(settings.supergraph))
    except (OSError, ValueError, SupergraphError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    engine = Engine(model, engine_config(settings))
    try:
        query_plan = engine.plan(query, operation_name, parsed_variables)
    except RequestError as error:
        for item in error.errors:
            code = item.get("extensions", {}).get("code", "")
            typer.echo(f"error: {item.get('message')} [{code}]", err=True)
        raise typer.Exit(1) from error
    except PlanningError as error:
        typer.echo(f"error: {error} [QUERY_PLANNING_FAILED]", err=True)
        raise typer.Exit(1) from error
    typer.echo(plan_to_text(query_plan))


def _variables(text: str | None) -> dict[str, Any] | None:
    """``--variables``: inline JSON or ``@path``; must be a JSON object."""
    if text is None:
        return None
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"--variables is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise ValueError("--variables must be a JSON object")
    return value
