"""The settings table of docs/deploy.md: generated from the settings classes, and fresh."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from deploy import settings_table
from polyshop.settings import StackSettings
from router.security.settings import SecuritySettings
from router.settings import RouterSettings
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.settings import ServiceSettings


class ExampleSettings(BaseSettings):
    """Only for this test.

    | EXAMPLE_...  | default | meaning              |
    |--------------|---------|----------------------|
    | FROM_TABLE   | 1       | documented in a table |
    """

    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")

    described: int = Field(default=3, description="documented by its Field")
    docstring: str = "x"
    """documented by an attribute docstring"""
    # documented by the comment above it
    commented: bool = False
    from_table: int = 1
    listed: Annotated[tuple[str, ...], NoDecode] = ("a", "b")
    json_list: list[str] = Field(default_factory=list)
    password: SecretStr = SecretStr("hunter2")
    optional: float | None = None


def test_rows_take_names_types_defaults_and_meanings_from_the_class() -> None:
    rows = {row.variables[0]: row for row in settings_table.rows_of(ExampleSettings)}
    assert rows["EXAMPLE_DESCRIBED"].meaning == "documented by its Field"
    assert rows["EXAMPLE_DESCRIBED"].default == "`3`"
    assert rows["EXAMPLE_DOCSTRING"].meaning == "documented by an attribute docstring"
    assert rows["EXAMPLE_COMMENTED"].meaning == "documented by the comment above it"
    assert rows["EXAMPLE_COMMENTED"].default == "`false`"
    assert rows["EXAMPLE_FROM_TABLE"].meaning == "documented in a table"
    assert rows["EXAMPLE_LISTED"].type == "list of str (JSON or `a,b`)"
    assert rows["EXAMPLE_LISTED"].default == '`["a", "b"]`'
    assert rows["EXAMPLE_JSON_LIST"].type == "list of str (JSON)"
    assert rows["EXAMPLE_JSON_LIST"].default == "empty"
    assert rows["EXAMPLE_PASSWORD"].type == "secret"
    assert "hunter2" not in rows["EXAMPLE_PASSWORD"].default
    assert rows["EXAMPLE_OPTIONAL"].type == "float (optional)"
    assert rows["EXAMPLE_OPTIONAL"].default == "unset"


def test_every_field_of_every_process_is_in_the_table() -> None:
    table = settings_table.render(settings_table.sections())
    classes: list[type[BaseSettings]] = [
        ServiceSettings,
        TokenSettings,
        RouterSettings,
        SecuritySettings,
        StackSettings,
    ]
    for cls in classes:
        for name, field in cls.model_fields.items():
            if name == "security":  # nested: its own section
                continue
            for variable in settings_table.env_names(cls, name, field):
                assert f"`{variable}`" in table, f"{cls.__name__}.{name}"
    assert "`POLYSHOP_ROUTER_AUTH_CLIENT_SECRET`" in table
    assert "polyshop-demo" not in table, "secret defaults are never printed"


def test_docs_deploy_md_holds_the_fresh_table() -> None:
    document = settings_table.DOC.read_text()
    fresh = settings_table.replaced(document, settings_table.render(settings_table.sections()))
    assert fresh == document, "run: python -m deploy.settings_table --write"
