"""Reading ``router.yaml``: YAML, ``${env.NAME}`` expansion, and the settings source built on it.

`read_config_file` turns the file into the plain mapping that `RouterSettings` validates; it
refuses what pydantic cannot: a document that is not a mapping, a top-level key that names no
setting (a typo must not be ignored silently), an unset variable without a default. The
sections' own models refuse unknown keys inside them (``extra="forbid"``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

ENV_REFERENCE = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")
"""``${env.NAME}`` or ``${env.NAME:-default}``, as in Apollo Router's configuration."""

CONFIG_KEY = "config"
"""The setting that names the file (``POLYSHOP_ROUTER_CONFIG``, ``--config``)."""


class ConfigError(ValueError):
    """The configuration file cannot be used; the message says where and why."""


def expand_env(value: Any, environ: Mapping[str, str], where: str = "") -> Any:
    """``value`` with every ``${env.NAME[:-default]}`` in its strings replaced, recursively."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{where or 'value'}: environment variable {name} is not set")

        return ENV_REFERENCE.sub(substitute, value)
    if isinstance(value, list):
        return [expand_env(item, environ, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {
            key: expand_env(item, environ, f"{where}.{key}" if where else str(key))
            for key, item in value.items()
        }
    return value


def read_config_file(
    path: str | os.PathLike[str],
    known_keys: Collection[str],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The settings mapping of the YAML file at ``path`` (env references expanded)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{source}: cannot read the configuration file: {error}") from error
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: the configuration must be a mapping of sections")
    if CONFIG_KEY in document:
        raise ConfigError(f"{source}: '{CONFIG_KEY}' names the file itself; set it outside it")
    unknown = sorted(str(key) for key in document if key not in known_keys)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(unknown)}; "
            "see `polyshop router config-schema` for the keys the router knows"
        )
    expanded: dict[str, Any] = expand_env(document, os.environ if environ is None else environ)
    return expanded


class ConfigFileSource(PydanticBaseSettingsSource):
    """Settings source for the file named by the ``config`` value that the sources before it
    (command-line arguments, then environment) produced; below them in precedence."""

    def __init__(self, settings_cls: type[BaseSettings], file_keys: Collection[str]) -> None:
        super().__init__(settings_cls)
        self._file_keys = file_keys

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads the whole file at once

    def __call__(self) -> dict[str, Any]:
        path = self.current_state.get(CONFIG_KEY)
        if not path:
            return {}
        from router.config.moved import nest_moved

        return nest_moved(read_config_file(path, self._file_keys), str(path))
