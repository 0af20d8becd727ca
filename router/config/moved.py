"""Settings that moved into a section: their old flat names still work, with a warning.

Before ``router.yaml`` had sections, operation limits, the per-subgraph connection cap and
telemetry were flat settings (``POLYSHOP_ROUTER_MAX_DEPTH``, ``..._SUBGRAPH_MAX_CONCURRENCY``,
``..._METRICS``...). Each now has one home, in the section Apollo Router names
(``limits.max_depth``, ``traffic_shaping.all.max_connections``,
``telemetry.exporters.metrics.prometheus.enabled``); the old name is a deprecated alias of
it, accepted wherever a setting can be given (arguments, environment, the file), rewritten
to the new place before validation and logged once per read (``config.deprecated_setting``,
with the new name). A value given under the new name in the same place wins over the alias.

Two standard OpenTelemetry variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``)
are read too, below ours and without a warning: they are not deprecated, just not ours.

The rewriting happens in the settings sources (`router.settings.RouterSettings`), so the
usual precedence holds between places: an argument's alias beats an environment variable in
the new layout, which beats the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import Field, TypeAdapter, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

log = structlog.get_logger("router.config")

ENV_PREFIX = "POLYSHOP_ROUTER_"


@dataclass(frozen=True, slots=True)
class Moved:
    """A flat setting ``old`` that now lives at ``path``."""

    old: str
    path: tuple[str, ...]
    standard_env: tuple[str, ...] = ()
    """Other variables read for it, after ours and without a warning."""
    convert: Callable[[Any], Any] | None = None
    """The old value as the new key takes it (when their types differ)."""

    def value(self, old_value: Any) -> Any:
        return old_value if self.convert is None else self.convert(old_value)

    @property
    def new_name(self) -> str:
        return ".".join(self.path)

    @property
    def new_env(self) -> str:
        return ENV_PREFIX + "__".join(self.path).upper()


def _log_format(log_json: Any) -> str:
    """``log_json: true`` → ``format: json``; false → ``text``."""
    return "json" if TypeAdapter(bool).validate_python(log_json) else "text"


_LIMITS = ("limits",)
_PROMETHEUS = ("telemetry", "exporters", "metrics", "prometheus")
_TRACING = ("telemetry", "exporters", "tracing")
_LOGGING = ("telemetry", "exporters", "logging")

MOVED: tuple[Moved, ...] = (
    Moved("max_depth", (*_LIMITS, "max_depth")),
    Moved("max_height", (*_LIMITS, "max_height")),
    Moved("max_aliases", (*_LIMITS, "max_aliases")),
    Moved("max_root_fields", (*_LIMITS, "max_root_fields")),
    Moved("parser_max_tokens", (*_LIMITS, "parser_max_tokens")),
    Moved("max_selections", (*_LIMITS, "max_selections")),
    Moved("max_request_bytes", (*_LIMITS, "http_max_request_bytes")),
    Moved("http_max_header_bytes", (*_LIMITS, "http1_max_request_buf_size")),
    Moved("max_response_bytes", (*_LIMITS, "max_response_bytes")),
    Moved("subgraph_max_response_bytes", (*_LIMITS, "subgraph_max_response_bytes")),
    Moved("plan_cache_size", ("query_planning", "cache", "in_memory", "limit")),
    Moved("subgraph_max_concurrency", ("traffic_shaping", "all", "max_connections")),
    Moved("metrics", (*_PROMETHEUS, "enabled")),
    Moved("metrics_path", (*_PROMETHEUS, "path")),
    Moved(
        "otel_exporter_otlp_endpoint",
        (*_TRACING, "otlp", "endpoint"),
        standard_env=("OTEL_EXPORTER_OTLP_ENDPOINT",),
    ),
    Moved(
        "otel_service_name",
        (*_TRACING, "common", "service_name"),
        standard_env=("OTEL_SERVICE_NAME",),
    ),
    Moved("otel_sample_ratio", (*_TRACING, "common", "sampler")),
    Moved("log_level", (*_LOGGING, "level")),
    Moved("log_json", (*_LOGGING, "stdout", "format"), convert=_log_format),
)
"""Every moved setting, by its old flat name."""

MOVED_BY_OLD: Mapping[str, Moved] = {moved.old: moved for moved in MOVED}


def _place(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``value`` at ``path`` unless a value is there already (the new name wins)."""
    for key in path[:-1]:
        inner = target.get(key)
        if not isinstance(inner, dict):
            if inner is not None:
                return  # the whole section was given (a model instance): it wins
            inner = {}
        else:
            inner = dict(inner)
        target[key] = inner
        target = inner
    target.setdefault(path[-1], value)


def nest_moved(values: Mapping[str, Any], where: str, *, warn: bool = True) -> dict[str, Any]:
    """``values`` with every moved flat name rewritten to its section; logs each alias used
    (``where`` says how it was given: ``argument``, ``router.yaml``...)."""
    result = dict(values)
    for old in [key for key in result if key in MOVED_BY_OLD]:
        moved = MOVED_BY_OLD[old]
        value = result.pop(old)
        _place(result, moved.path, moved.value(value))
        if warn:
            log.warning(
                "config.deprecated_setting",
                setting=old,
                given_as=where,
                use=moved.new_name,
                env=moved.new_env,
            )
    return result


class _EnvReader(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)


def _env_model() -> type[BaseSettings]:
    fields: dict[str, Any] = {}
    for moved in MOVED:
        for name in (ENV_PREFIX + moved.old.upper(), *moved.standard_env):
            fields[name.lower()] = (str | None, Field(default=None, validation_alias=name))
    model: type[BaseSettings] = create_model("MovedVariables", __base__=_EnvReader, **fields)
    return model


_MOVED_ENV = _env_model()


class MovedEnvSource(PydanticBaseSettingsSource):
    """The old variables (``POLYSHOP_ROUTER_MAX_DEPTH``) and the standard OpenTelemetry ones,
    as values of the sections they moved to; below the variables of the new layout."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads every variable at once

    def __call__(self) -> dict[str, Any]:
        found = _MOVED_ENV()
        result: dict[str, Any] = {}
        for moved in MOVED:
            ours = ENV_PREFIX + moved.old.upper()
            value = getattr(found, ours.lower())
            if value is not None:
                _place(result, moved.path, moved.value(value))
                log.warning(
                    "config.deprecated_setting",
                    setting=ours,
                    given_as="environment",
                    use=moved.new_env,
                    key=moved.new_name,
                )
                continue
            for name in moved.standard_env:
                value = getattr(found, name.lower())
                if value is not None:
                    _place(result, moved.path, value)
                    break
        return result


class MovedInitSource(PydanticBaseSettingsSource):
    """The arguments (init keyword values) with moved flat names rewritten."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError

    def __call__(self) -> dict[str, Any]:
        return nest_moved(self._inner(), "argument")
