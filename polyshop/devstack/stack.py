"""`polyshop up`: the whole system on one machine, from nothing to a GraphiQL URL.

Order matters and each step is idempotent, so a second start reuses the data directory:
servers (embedded unless a URL is set) and the mail catcher → one database per service →
migrations → demo data → one process per subgraph → the router → demo orders placed through
the router. Ctrl-C (or SIGTERM) stops them in reverse order, and nothing else does.

A subgraph or the router that dies (a crash, ``kill -9``) is restarted by its `Supervisor`
with the same command and environment, after an exponential backoff, and the stack says so on
its output; the databases, NATS and the other processes are left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import structlog
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyshop.devstack.demo_flow import DemoFlowError, GraphQLFailure, run_demo_flow
from polyshop.devstack.mailcatcher import MailCatcher
from polyshop.devstack.migrations import has_migrations, upgrade
from polyshop.devstack.nats import EmbeddedNats
from polyshop.devstack.postgres import (
    EmbeddedPostgres,
    create_database,
    database_exists,
    database_url,
)
from polyshop.devstack.storefront import Storefront, start_storefront
from polyshop.services import (
    ROUTER_PORT,
    SERVICES,
    SERVICES_BY_NAME,
    STOREFRONT_PORT,
    ServiceSpec,
)
from polyshop.settings import StackSettings
from subgraphs.kit.http import IMPORT_STRING as SERVICE_HTTP

log = structlog.get_logger("polyshop.stack")

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH_FILE = REPO_ROOT / "schema" / "supergraph.graphql"
ROUTER_CONFIG_FILE = REPO_ROOT / "router.yaml"
"""The dev stack's router configuration (CORS for the storefront; the file documents itself)."""
SUBGRAPH_KEEP_ALIVE_SECONDS = 75
ROUTER_TRACE_NAME = "polyshop-router"


class StackTracing(BaseSettings):
    """Where every process of the stack sends its traces (one collector for all of them).

    ``POLYSHOP_OTEL_EXPORTER_OTLP_ENDPOINT`` (or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT``)
    and ``POLYSHOP_OTEL_SAMPLE_RATIO``; the router reads them under its own prefix, so the
    stack hands them on. The SDK's other ``OTEL_*`` variables (``OTEL_BSP_SCHEDULE_DELAY``,
    exporter headers) reach every process with the inherited environment.
    """

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "POLYSHOP_OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    otel_sample_ratio: float | None = Field(default=None, ge=0, le=1)

    def env(self, prefix: str, service_name: str) -> dict[str, str]:
        """The variables of one process (``prefix`` is its settings' prefix). Each process
        names itself: a shared ``OTEL_SERVICE_NAME`` would blur them all into one service."""
        if not self.otel_exporter_otlp_endpoint:
            return {}
        env = {
            f"{prefix}OTEL_EXPORTER_OTLP_ENDPOINT": self.otel_exporter_otlp_endpoint,
            f"{prefix}OTEL_SERVICE_NAME": service_name,
        }
        if self.otel_sample_ratio is not None:
            env[f"{prefix}OTEL_SAMPLE_RATIO"] = str(self.otel_sample_ratio)
        return env

    def router_env(self, service_name: str) -> dict[str, str]:
        """The router's variables: its ``telemetry`` section, key by key."""
        if not self.otel_exporter_otlp_endpoint:
            return {}
        tracing = "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__TRACING__"
        env = {
            f"{tracing}OTLP__ENDPOINT": self.otel_exporter_otlp_endpoint,
            f"{tracing}COMMON__SERVICE_NAME": service_name,
        }
        if self.otel_sample_ratio is not None:
            env[f"{tracing}COMMON__SAMPLER"] = str(self.otel_sample_ratio)
        return env


@dataclass
class RunningProcess:
    """A child process and how to start it again; ``process`` is the current incarnation."""

    name: str
    url: str
    process: asyncio.subprocess.Process
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    health_path: str = "/health"
    restarts: int = 0


@dataclass
class Stack:
    """What `up` started, so that `down` can stop exactly that."""

    settings: StackSettings
    tracing: StackTracing = field(default_factory=StackTracing)
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    nats_url: str = ""
    mail: MailCatcher | None = None
    demo_summary: str = ""
    database_urls: dict[str, str] = field(default_factory=dict)
    processes: list[RunningProcess] = field(default_factory=list)
    storefront: Storefront | None = None


async def up(settings: StackSettings, *, reset: bool = False, with_router: bool = True) -> None:
    """Start everything, print the URLs, and run until interrupted."""
    if reset and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await start_servers(stack)
        services = SERVICES
        await prepare_databases(stack, services)
        await start_subgraphs(stack, services)
        if with_router and router_available():
            await start_router(stack)
            stack.storefront = await start_storefront(
                stack.settings.host,
                STOREFRONT_PORT + stack.settings.port_offset,
                router_url(stack) + "/graphql",
                url_host=reachable_host(stack),
            )
            await place_demo_orders(stack, stop)
        print_urls(stack)
        await wait_until_stopped(stack, stop)
    finally:
        await down(stack)


async def start_servers(stack: Stack) -> None:
    settings = stack.settings
    if settings.postgres_url is None and not all_databases_configured(settings):
        stack.postgres = EmbeddedPostgres(settings.data_dir / "postgres")
        await asyncio.to_thread(stack.postgres.start)
        log.info("postgres.started", url=stack.postgres.server_url)
    if settings.nats_url is None:
        stack.nats = EmbeddedNats(settings.data_dir / "nats")
        await asyncio.to_thread(stack.nats.start)
        stack.nats_url = stack.nats.url
        log.info("nats.started", url=stack.nats_url)
    else:
        stack.nats_url = settings.nats_url
    if settings.mail_catcher:
        stack.mail = MailCatcher(settings.mail_dir, port=settings.mail_catcher_port)
        await asyncio.to_thread(stack.mail.start)
        log.info("mail_catcher.started", port=stack.mail.port, maildir=str(stack.mail.mail_dir))


def all_databases_configured(settings: StackSettings) -> bool:
    services = SERVICES
    return bool(services) and all(settings.database_url_override(s.name) for s in services)


def server_url(stack: Stack) -> str:
    if stack.postgres is not None:
        return stack.postgres.server_url
    assert stack.settings.postgres_url is not None
    return stack.settings.postgres_url


async def prepare_databases(stack: Stack, services: tuple[ServiceSpec, ...]) -> None:
    """Migrations run one after the other (Alembic's context is process-global); each
    service's demo data then loads in its own child process while the next one migrates."""
    async with asyncio.TaskGroup() as demo_loads:
        for spec in services:
            url = await prepare_database(stack, spec)
            demo_loads.create_task(load_demo_data(stack, spec, url))


async def prepare_database(stack: Stack, spec: ServiceSpec) -> str:
    url = stack.settings.database_url_override(spec.name)
    if url is None:
        server = server_url(stack)
        if not await database_exists(server, spec.database):
            await create_database(server, spec.database)
            log.info("database.created", service=spec.name, database=spec.database)
        url = database_url(server, spec.database)
    stack.database_urls[spec.name] = url
    if has_migrations(spec.name):
        attributes = {"auth_key_passphrase": key_passphrase(stack)} if spec.name == "auth" else {}
        await asyncio.to_thread(upgrade, spec.name, url, "head", attributes)
        log.info("database.migrated", service=spec.name)
    return url


async def load_demo_data(stack: Stack, spec: ServiceSpec, url: str) -> None:
    """Each service may ship `demo.load_demo_data(url) -> int` (idempotent). It runs in a
    child process so that it reads the service's own settings from the service's environment."""
    if importlib.util.find_spec(f"subgraphs.{spec.name}.demo") is None:
        return
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polyshop.cli",
        "demo-data",
        spec.name,
        "--database-url",
        url,
        env={**os.environ, **service_env(stack, spec)},
        cwd=REPO_ROOT,
    )
    if await process.wait() != 0:
        raise RuntimeError(f"loading demo data of {spec.name} failed")


def demo_client_secret(stack: Stack) -> str:
    """One secret for every demo service client, kept in the data directory so restarts agree
    with what the auth database already holds."""
    if stack.settings.demo_client_secret:
        return stack.settings.demo_client_secret
    path = stack.settings.data_dir / "demo-client-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def key_passphrase(stack: Stack) -> str:
    """What encrypts the auth service's signing keys in its database: random, kept in the
    data directory beside the database it protects (a real deployment keeps it elsewhere)."""
    path = stack.settings.data_dir / "signing-key-passphrase"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def port_of(stack: Stack, spec: ServiceSpec) -> int:
    return spec.port + stack.settings.port_offset


def reachable_host(stack: Stack) -> str:
    """Where the stack's own clients connect: a wildcard listen address is reached locally."""
    host = stack.settings.host
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def base_url(stack: Stack, spec: ServiceSpec) -> str:
    return f"http://{reachable_host(stack)}:{port_of(stack, spec)}"


def router_url(stack: Stack) -> str:
    return f"http://{reachable_host(stack)}:{ROUTER_PORT + stack.settings.port_offset}"


def service_env(stack: Stack, spec: ServiceSpec) -> dict[str, str]:
    """The environment of one service process: its own settings, nothing shared by import.

    Addresses of other services are passed too, so that a port offset moves them all."""
    secret = demo_client_secret(stack)
    auth_url = base_url(stack, SERVICES_BY_NAME["auth"])
    env = {
        "POLYSHOP_DATABASE_URL": stack.database_urls[spec.name],
        "POLYSHOP_NATS_URL": stack.nats_url,
        "POLYSHOP_SERVICE_NAME": spec.name,
        "POLYSHOP_PORT": str(port_of(stack, spec)),
        "POLYSHOP_DEV_MODE": "true",
        "POLYSHOP_AUTH_CLIENT_ID": spec.name,
        "POLYSHOP_AUTH_CLIENT_SECRET": secret,
        "POLYSHOP_AUTH_DEMO_CLIENT_SECRET": secret,
        "POLYSHOP_AUTH_JWKS_URL": f"{auth_url}/.well-known/jwks.json",
        "POLYSHOP_AUTH_TOKEN_URL": f"{auth_url}/oauth/token",
        "POLYSHOP_ORDERS_PRODUCTS_URL": base_url(stack, SERVICES_BY_NAME["products"]) + "/graphql",
    }
    if spec.name == "auth":
        env["POLYSHOP_AUTH_KEY_PASSPHRASE"] = key_passphrase(stack)
    if spec.name == "notifications" and stack.mail is not None:
        env |= mail_env(stack.mail)
    return env | stack.tracing.env("POLYSHOP_", spec.name)


def mail_env(mail: MailCatcher) -> dict[str, str]:
    """Notifications sends to the catcher: plain SMTP, no login."""
    return {
        "POLYSHOP_SMTP_HOST": mail.host,
        "POLYSHOP_SMTP_PORT": str(mail.port),
        "POLYSHOP_SMTP_TLS": "false",
        "POLYSHOP_SMTP_STARTTLS": "false",
    }


async def start_subgraphs(stack: Stack, services: tuple[ServiceSpec, ...]) -> None:
    """All at once: each waits only for its own health check (tokens and keys are fetched
    from auth on first use, not at start-up)."""
    async with asyncio.TaskGroup() as group:
        for spec in services:
            group.create_task(start_subgraph(stack, spec))
    order = [spec.name for spec in services]
    stack.processes.sort(key=lambda running: order.index(running.name))


async def start_subgraph(stack: Stack, spec: ServiceSpec) -> None:
    env = service_env(stack, spec)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"{spec.app_module}:app",
        "--host",
        stack.settings.host,
        "--port",
        str(port_of(stack, spec)),
        "--no-access-log",
        # Header-size and read-time limits from the service's settings.
        "--http",
        SERVICE_HTTP,
        "--no-proxy-headers",  # X-Forwarded-For is the app's to judge, not uvicorn's
        # Longer than the router's idle keep-alive (30 s), so the router never writes to a
        # connection the subgraph has just closed (uvicorn's default is 5 s).
        "--timeout-keep-alive",
        str(SUBGRAPH_KEEP_ALIVE_SECONDS),
    ]
    await spawn(stack, spec.name, base_url(stack, spec), command, env, health_path="/health")


def router_available() -> bool:
    return SUPERGRAPH_FILE.exists() and importlib.util.find_spec("router.cli") is not None


async def start_router(stack: Stack) -> None:
    auth_url = base_url(stack, SERVICES_BY_NAME["auth"])
    subgraph_urls = {
        running.name: f"{running.url}/graphql"
        for running in stack.processes
        if running.name in SERVICES_BY_NAME
    }
    env = {
        # The dev router.yaml: CORS for the storefront's origin (its port follows the offset).
        "POLYSHOP_ROUTER_CONFIG": str(ROUTER_CONFIG_FILE),
        "POLYSHOP_STOREFRONT_PORT": str(STOREFRONT_PORT + stack.settings.port_offset),
        "POLYSHOP_ROUTER_SUPERGRAPH": str(SUPERGRAPH_FILE),
        "POLYSHOP_ROUTER_HOST": stack.settings.host,
        "POLYSHOP_ROUTER_PORT": str(ROUTER_PORT + stack.settings.port_offset),
        # The supergraph names the default ports; these follow the port offset.
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": json.dumps(subgraph_urls),
        "POLYSHOP_ROUTER_DEV_MODE": "true",
        # User tokens are verified against the auth service's keys; the router calls
        # subgraphs with its own client-credentials token.
        "POLYSHOP_ROUTER_AUTH_JWKS_URLS": f"{auth_url}/.well-known/jwks.json",
        "POLYSHOP_ROUTER_AUTH_ISSUERS": "polyshop-auth",
        "POLYSHOP_ROUTER_AUTH_AUDIENCES": "polyshop",
        "POLYSHOP_ROUTER_AUTH_TOKEN_URL": f"{auth_url}/oauth/token",
        "POLYSHOP_ROUTER_AUTH_CLIENT_ID": "router",
        "POLYSHOP_ROUTER_AUTH_CLIENT_SECRET": demo_client_secret(stack),
    } | stack.tracing.router_env(ROUTER_TRACE_NAME)
    await spawn(
        stack, "router", router_url(stack), [sys.executable, "-m", "router"], env, "/health"
    )


async def place_demo_orders(stack: Stack, stop: asyncio.Event) -> None:
    """The demo orders, through the router; a failure is reported, the stack keeps running.
    Ctrl-C meanwhile abandons them (a later start finishes them: every step is idempotent)."""
    if not stack.settings.demo_orders:
        return
    flow = asyncio.create_task(
        run_demo_flow(
            router_url(stack) + "/graphql", settle_seconds=stack.settings.demo_orders_timeout
        )
    )
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait((flow, stopped), return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not flow.done():
        flow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flow
        return
    try:
        report = flow.result()
    except (DemoFlowError, GraphQLFailure, aiohttp.ClientError, TimeoutError) as failure:
        log.error("demo_orders.failed", error=str(failure))
        stack.demo_summary = f"failed ({failure}); see the log"
        return
    stack.demo_summary = report.summary()


async def spawn(
    stack: Stack,
    name: str,
    url: str,
    command: list[str],
    env: dict[str, str],
    health_path: str,
    startup_seconds: float = 60.0,
) -> None:
    ensure_port_free(name, url)
    process = await start_process(command, env)
    stack.processes.append(RunningProcess(name, url, process, command, env, health_path))
    await wait_healthy(name, url + health_path, process, startup_seconds)
    log.info("process.started", name=name, url=url, pid=process.pid)


async def start_process(command: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    # A session of its own: Ctrl-C in the terminal reaches only `polyshop up`, which stops
    # the children in order.
    return await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env}, cwd=REPO_ROOT, start_new_session=True
    )


def exit_reason(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    """Restarts one child whenever it dies, until the stack stops.

    The wait before a restart starts at ``restart_backoff_initial`` seconds and doubles after
    each crash up to ``restart_backoff_max``; a process that stayed up ``restart_reset_after``
    seconds earns the initial wait back. A restart that cannot start (it exits during start-up
    or never answers its health check) counts as another crash. Every crash and every
    successful restart is printed, so a developer sees what happened.
    """

    def __init__(self, stack: Stack, running: RunningProcess, stop: asyncio.Event) -> None:
        self.stack = stack
        self.running = running
        self.stop = stop
        settings = stack.settings
        self.initial = settings.restart_backoff_initial
        self.maximum = settings.restart_backoff_max
        self.reset_after = settings.restart_reset_after

    async def run(self) -> None:
        backoff = self.initial
        started = time.monotonic()
        while not self.stop.is_set():
            code = await self.running.process.wait()
            if self.stop.is_set():
                return
            if time.monotonic() - started >= self.reset_after:
                backoff = self.initial
            name = self.running.name
            announce(
                f"{name} stopped ({exit_reason(code)}); restarting in {backoff:g}s "
                f"(restart {self.running.restarts + 1})"
            )
            log.warning("process.crashed", name=name, code=code, restart_in=backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), backoff)
            if self.stop.is_set():
                return
            backoff = min(backoff * 2, self.maximum)
            started = time.monotonic()
            await self.restart()

    async def restart(self) -> None:
        running = self.running
        running.restarts += 1
        running.process = await start_process(running.command, running.env)
        try:
            await wait_healthy(
                running.name, running.url + running.health_path, running.process, 60.0
            )
        except RuntimeError as failure:
            announce(f"{running.name} failed to restart: {failure}")
            await terminate(running.process)
            return
        announce(f"{running.name} restarted (pid {running.process.pid})")
        log.info("process.restarted", name=running.name, pid=running.process.pid)


def announce(message: str) -> None:
    print(f"  [polyshop] {message}", flush=True)


def ensure_port_free(name: str, url: str) -> None:
    """Fail before starting when something already listens there: its health check would
    pass and the stack would quietly talk to someone else's process."""
    host, _, port = url.removeprefix("http://").rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, int(port))) == 0:
            raise RuntimeError(
                f"port {port} of {name} is taken (another `polyshop up`?); stop it or set "
                "POLYSHOP_PORT_OFFSET"
            )


async def wait_healthy(
    name: str, url: str, process: asyncio.subprocess.Process, startup_seconds: float
) -> None:
    deadline = time.monotonic() + startup_seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode} at start-up")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{name} did not answer {url} within {startup_seconds:.0f}s")


def print_urls(stack: Stack) -> None:
    lines = ["", "PolyShop is running. Ctrl-C stops everything.", ""]
    for running in stack.processes:
        lines.append(f"  {running.name:<14} {running.url}/graphql")
    router = next((p for p in stack.processes if p.name == "router"), None)
    if router is not None:
        lines += ["", f"  GraphiQL       {router.url}/graphql  (open it in a browser)"]
    if stack.storefront is not None:
        lines.append(f"  Storefront     {stack.storefront.url}  (web/, its own origin)")
    if stack.postgres is not None:
        lines.append(f"  PostgreSQL     {stack.postgres.server_url}")
    lines.append(f"  NATS           {stack.nats_url}")
    if stack.mail is not None:
        lines.append(
            f"  Mail           smtp://{stack.mail.host}:{stack.mail.port} → maildir "
            f"{stack.mail.mail_dir}"
        )
    if stack.demo_summary:
        lines.append(f"  Demo orders    {stack.demo_summary}")
    lines.append("")
    print("\n".join(lines), flush=True)


async def wait_until_stopped(stack: Stack, stop: asyncio.Event) -> None:
    """Until Ctrl-C (or SIGTERM); meanwhile every child that dies is restarted."""
    supervisors = [
        asyncio.create_task(Supervisor(stack, running, stop).run()) for running in stack.processes
    ]
    try:
        await stop.wait()
    finally:
        for task in supervisors:
            task.cancel()
        await asyncio.gather(*supervisors, return_exceptions=True)


async def down(stack: Stack) -> None:
    if stack.storefront is not None:
        await stack.storefront.stop()
        stack.storefront = None
    for running in reversed(stack.processes):
        await terminate(running.process)
    stack.processes.clear()
    if stack.mail is not None:
        await asyncio.to_thread(stack.mail.stop)
    if stack.nats is not None:
        await asyncio.to_thread(stack.nats.stop)
    if stack.postgres is not None:
        await asyncio.to_thread(stack.postgres.stop)
    log.info("stack.stopped")


async def terminate(process: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
