"""Watching ``router.yaml`` while the router runs.

`ConfigWatcher` polls the file's mtime and size (the supergraph watcher's way) and, when they
move, reads the settings again (`RouterSettings.reloaded`: arguments and environment still
win over the file). A file that does not read or validate is logged with the reason and
rejected: the settings in force stay in force. A valid one is handed to ``apply``, which puts
it into effect (the HTTP app builds engines with it and swaps them in); if ``apply`` fails, the
old settings stay too. Changes to settings that only a restart can apply (the listener, TLS,
workers, logging set-up) are logged as waiting for a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from pydantic import ValidationError

from router.config.file import ConfigError
from router.hot_reload import ReloadOutcome, file_stamp

if TYPE_CHECKING:
    from router.settings import RouterSettings

log = structlog.get_logger("router.config")

SettingsReloaded = Callable[["RouterSettings"], Awaitable[None]]
"""Puts reloaded settings into effect; raises to keep the old ones."""


class ConfigWatcher:
    """Re-reads the configuration file of ``settings`` when it changes."""

    def __init__(
        self, settings: RouterSettings, apply: SettingsReloaded, *, interval: float = 1.0
    ) -> None:
        if settings.config is None:
            raise ValueError("these settings have no configuration file to watch")
        self.settings = settings
        self.path = Path(settings.config)
        self.apply = apply
        self.interval = interval
        self._stamp = file_stamp(self.path)

    async def run(self) -> None:
        """Check every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                log.exception("config.watch_failed", config=str(self.path))

    async def check(self) -> ReloadOutcome:
        """Look at the file once; apply its settings when it changed and is valid."""
        stamp = await asyncio.to_thread(file_stamp, self.path)
        if stamp == self._stamp:
            return ReloadOutcome.UNCHANGED
        self._stamp = stamp
        try:
            new = await asyncio.to_thread(self.settings.reloaded)
        except (ConfigError, ValidationError) as error:
            return self._reject(describe_error(error))
        changed = new.changed_from(self.settings)
        if not changed:
            return ReloadOutcome.UNCHANGED
        waiting = [name for name in changed if name in type(new).RESTART_ONLY]
        try:
            await self.apply(new)
        except Exception as error:
            log.exception("config.apply_failed", config=str(self.path))
            return self._reject(f"the new configuration failed to start: {error}")
        self.settings = new
        log.info("config.reloaded", config=str(self.path), changed=changed)
        if waiting:
            log.warning("config.restart_required", config=str(self.path), settings=waiting)
        return ReloadOutcome.RELOADED

    def _reject(self, reason: str) -> ReloadOutcome:
        log.error("config.rejected", config=str(self.path), reason=reason)
        return ReloadOutcome.REJECTED


def describe_error(error: ConfigError | ValidationError) -> str:
    """One line per problem, with the setting's path in the file (``cors.origins.0``)."""
    if isinstance(error, ConfigError):
        return str(error)
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    )
