"""docker-compose.yml, checked offline: the compose-spec schema, and agreement with the
service table, supergraph.yaml and the composed supergraph (names, ports, routing URLs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from polyshop.services import ROUTER_PORT, SERVICES, SERVICES_BY_NAME

INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """Compose's ``${VAR}`` / ``${VAR:-default}`` substitution, as `docker compose config`."""
    if isinstance(value, str):
        return INTERPOLATION.sub(lambda m: environment.get(m["name"]) or m["default"] or "", value)
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def raw_compose(repo_root: Path) -> dict[str, Any]:
    document = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(raw_compose: dict[str, Any]) -> dict[str, Any]:
    resolved = interpolate(raw_compose, {})
    return dict(resolved["services"])


def compose_spec_schema() -> dict[str, Any]:
    try:
        from importlib.resources import files

        vendored = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
        schema: dict[str, Any] = json.loads(vendored.read_text())
    except ModuleNotFoundError:
        pytest.skip("the compose-spec schema ships with PyPI check-jsonschema (dev dependency)")
    return schema


def test_valid_against_the_compose_spec(raw_compose: dict[str, Any]) -> None:
    schema = compose_spec_schema()
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(raw_compose)]
    assert errors == []
    broken = {
        **raw_compose,
        "services": {"x": {"image": "a", "depends_on": {"y": {"condition": "maybe"}}}},
    }
    assert list(validator.iter_errors(broken)), "the schema must catch a bad condition"


def test_every_subgraph_of_the_service_table_and_supergraph_yaml_is_served(
    services: dict[str, Any], repo_root: Path
) -> None:
    declared = yaml.safe_load((repo_root / "supergraph.yaml").read_text())["subgraphs"]
    assert set(declared) <= set(SERVICES_BY_NAME)
    for spec in SERVICES:
        service = services[spec.name]
        assert service["command"] == ["serve", spec.name]
        environment = service["environment"]
        assert environment["POLYSHOP_SERVICE_NAME"] == spec.name
        assert int(environment["POLYSHOP_PORT"]) == spec.port
        assert environment["POLYSHOP_AUTH_CLIENT_ID"] == spec.name
        assert environment["POLYSHOP_NATS_URL"] == "nats://nats:4222"
        assert f"127.0.0.1:{spec.port}:{spec.port}" in service["ports"]
        assert "/ready" in service["healthcheck"]["test"]
        if spec.name in declared:
            routing = urlsplit(declared[spec.name]["routing_url"])
            assert routing.port == spec.port
            assert routing.path == "/graphql"


def test_each_service_waits_for_its_own_migration(services: dict[str, Any]) -> None:
    for spec in SERVICES:
        migration = services[f"migrate-{spec.name}"]
        assert migration["command"] == ["migrate", spec.name]
        assert migration["restart"] == "no"
        assert migration["depends_on"]["postgres"]["condition"] == "service_healthy"
        url = urlsplit(migration["environment"]["POLYSHOP_DATABASE_URL"])
        assert url.scheme == "postgresql+asyncpg"
        assert (url.hostname, url.port, url.path) == ("postgres", 5432, f"/{spec.database}")
        assert url.username == spec.name, "each service connects as its own role"
        service = services[spec.name]
        assert (
            service["environment"]["POLYSHOP_DATABASE_URL"]
            == migration["environment"]["POLYSHOP_DATABASE_URL"]
        )
        depends = service["depends_on"]
        assert depends[f"migrate-{spec.name}"]["condition"] == "service_completed_successfully"
        assert depends["nats"]["condition"] == "service_healthy"
        if spec.name != "auth":
            assert depends["auth"]["condition"] == "service_healthy"


def test_router_routes_to_every_subgraph(services: dict[str, Any], repo_root: Path) -> None:
    router = services["router"]
    assert router["command"] == ["serve", "router"]
    environment = router["environment"]
    assert int(environment["POLYSHOP_ROUTER_PORT"]) == ROUTER_PORT
    assert f"{ROUTER_PORT}:{ROUTER_PORT}" in router["ports"]
    assert environment["POLYSHOP_ROUTER_GRAPHIQL"] == "true"
    urls = dict(
        pair.split("=", 1) for pair in environment["POLYSHOP_ROUTER_SUBGRAPH_URLS"].split(",")
    )
    assert set(urls) == set(SERVICES_BY_NAME)
    for name, url in urls.items():
        assert url == f"http://{name}:{SERVICES_BY_NAME[name].port}/graphql"
        assert router["depends_on"][name]["condition"] == "service_healthy"
    supergraph = (repo_root / "schema" / "supergraph.graphql").read_text()
    composed = re.findall(r'@join__graph\(name: "([^"]+)", url: "([^"]+)"\)', supergraph)
    assert composed
    for name, url in composed:
        assert urlsplit(url).port == urlsplit(urls[name]).port, name
    # The mounted folder holds the file the router is told to read.
    mount = next(v for v in router["volumes"] if v.endswith(":ro"))
    source, target, _ = mount.split(":")
    supergraph_path = Path(environment["POLYSHOP_ROUTER_SUPERGRAPH"])
    assert supergraph_path.parent == Path(target)
    assert (repo_root / source / supergraph_path.name).is_file()


def test_dependencies_exist_and_have_no_cycle(services: dict[str, Any]) -> None:
    graph = {name: set(service.get("depends_on", {})) for name, service in services.items()}
    for name, targets in graph.items():
        assert targets <= set(graph), f"{name} depends on unknown {targets - set(graph)}"
    for name, service in services.items():
        for target, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                check = services[target].get("healthcheck", {})
                assert check.get("test"), f"{name} -> {target}: no health check"
                assert not check.get("disable"), f"{name} -> {target}: health check disabled"
            elif condition["condition"] == "service_completed_successfully":
                assert services[target]["restart"] == "no", f"{name} -> {target}"
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle {' -> '.join((*path, name))}"
        if name not in done:
            for target in graph[name]:
                visit(target, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())


def test_infrastructure(services: dict[str, Any], repo_root: Path) -> None:
    assert services["postgres"]["image"].startswith("postgres:")
    assert "-js" in services["nats"]["command"]
    for name in ("postgres", "nats"):
        assert services[name]["healthcheck"]["test"][0] == "CMD"
    init = next(v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = repo_root / init.split(":")[0]
    pairs = re.search(r'SERVICE_DATABASES="([^"]+)"', script.read_text())
    assert pairs is not None
    assert dict(p.split(":") for p in pairs[1].split()) == {s.name: s.database for s in SERVICES}


def test_secrets_are_interpolated_dev_defaults(raw_compose: dict[str, Any]) -> None:
    """A secret is never a literal: it is ${POLYSHOP_DEV_...:-dev-only-...}, overridable."""
    secret_names = re.compile(r"SECRET|PASSWORD|PASSPHRASE")
    seen = 0
    for name, service in raw_compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if secret_names.search(key):
                seen += 1
                match = INTERPOLATION.fullmatch(str(value))
                assert match, f"{name}.{key} is a literal secret"
                assert match["name"].startswith("POLYSHOP_DEV_")
                assert (match["default"] or "").startswith("dev-only-")
        for value in (service.get("environment") or {}).values():
            for match in INTERPOLATION.finditer(str(value)):
                if match["default"] is not None and match["name"].startswith("POLYSHOP_DEV_"):
                    assert match["default"].startswith("dev-only-")
    assert seen >= 5
