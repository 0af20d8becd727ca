"""Turning ``plugins`` entries (and the ``coprocessor`` section) into started plugin objects.

A name with a colon is ``module:Class``; one without is looked up in the
``polyshop.router.plugins`` entry-point group (how an installed package offers a plugin, and
how the built-ins are registered). Every failure, whether the import, the lookup, the class,
the configuration or ``start``, becomes one `PluginLoadError` naming the plugin and the reason:
at start it stops the router; on a reload the configuration is rejected and the plugins in
force keep serving.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .api import Plugin
from .config import PluginEntry

if TYPE_CHECKING:
    from .coprocessor.config import CoprocessorConfig

ENTRY_POINT_GROUP = "polyshop.router.plugins"


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded, configured or started."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"plugin '{name}': {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    plugin: Plugin[Any]
    name: str
    optional: bool
    timeout: float | None
    """None: the plugin bounds its own calls (the coprocessor's per-stage timeouts)."""


def resolve(name: str) -> type[Plugin[Any]]:
    """The plugin class named ``module:Class`` or by an entry point."""
    if ":" in name:
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as error:
            raise PluginLoadError(
                name, f"cannot import {module_name}: {type(error).__name__}: {error}"
            ) from error
        try:
            found: Any = module
            for part in attribute.split("."):
                found = getattr(found, part)
        except AttributeError as error:
            raise PluginLoadError(name, f"{module_name} has no {attribute}") from error
    else:
        matches = entry_points(group=ENTRY_POINT_GROUP, name=name)
        if not matches:
            known = sorted(point.name for point in entry_points(group=ENTRY_POINT_GROUP))
            raise PluginLoadError(
                name,
                f"no entry point '{name}' in the {ENTRY_POINT_GROUP} group "
                f"(known: {', '.join(known) or 'none'}; or write module:Class)",
            )
        try:
            found = next(iter(matches)).load()
        except Exception as error:
            raise PluginLoadError(
                name, f"its entry point failed to load: {type(error).__name__}: {error}"
            ) from error
    if not (isinstance(found, type) and issubclass(found, Plugin)):
        raise PluginLoadError(name, "not a subclass of router.plugins.Plugin")
    return found


def instantiate(entry: PluginEntry) -> LoadedPlugin:
    """The plugin of one entry, its configuration validated (not started)."""
    cls = resolve(entry.name)
    label = entry.label or cls.__name__
    config_model: type[BaseModel] = cls.Config
    try:
        config = config_model.model_validate(entry.config)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'config'}: {item['msg']}"
            for item in error.errors()
        )
        raise PluginLoadError(label, f"invalid config: {problems}") from error
    try:
        plugin = cls(config, label)
    except Exception as error:
        raise PluginLoadError(label, f"{type(error).__name__}: {error}") from error
    return LoadedPlugin(plugin, label, entry.optional, entry.timeout)


async def load_plugins(
    entries: Sequence[PluginEntry], coprocessor: CoprocessorConfig | None = None
) -> list[LoadedPlugin]:
    """Every listed plugin, then the coprocessor, configured and started (in order);
    on a failure the ones already started are closed again."""
    loaded: list[LoadedPlugin] = [instantiate(entry) for entry in entries]
    if coprocessor is not None:
        from .coprocessor.plugin import Coprocessor

        coprocessor_plugin = Coprocessor(coprocessor, "coprocessor")
        loaded.append(LoadedPlugin(coprocessor_plugin, "coprocessor", False, None))
    started: list[LoadedPlugin] = []
    try:
        for item in loaded:
            try:
                await item.plugin.start()
            except Exception as error:
                raise PluginLoadError(
                    item.name, f"start failed: {type(error).__name__}: {error}"
                ) from error
            started.append(item)
    except PluginLoadError:
        for item in reversed(started):
            # Closing after a failed start: the start's error is the one to report.
            with contextlib.suppress(Exception):
                await item.plugin.close()
        raise
    return loaded
