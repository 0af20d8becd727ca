"""Router plugins: Python hooks in-process, and Apollo-compatible external coprocessors.

`api` is what a plugin author uses (`Plugin`, the stage objects, `Response`, `PluginError`);
`config` the ``plugins`` section of ``router.yaml``; `loader` resolves ``module:Class`` names
and the ``polyshop.router.plugins`` entry points and starts the plugins; `pipeline` runs their
hooks with timeouts and the failure policy; `coprocessor` speaks Apollo Router's coprocessor
protocol on the same API; `builtin` holds the plugins the router ships. See docs/plugins.md.
"""

from router.plugins.api import (
    JWT_CLAIMS,
    OPERATION_KIND,
    OPERATION_NAME,
    PLUGIN_FAILED,
    PLUGIN_TIMEOUT,
    STAGES,
    Context,
    ExecutionRequest,
    ExecutionResponse,
    NoConfig,
    Plugin,
    PluginError,
    Response,
    RouterRequest,
    RouterResponse,
    SubgraphRequest,
    SubgraphResponse,
    SupergraphRequest,
    SupergraphResponse,
)
from router.plugins.config import PluginEntry
from router.plugins.loader import ENTRY_POINT_GROUP, LoadedPlugin, PluginLoadError, load_plugins
from router.plugins.pipeline import PluginPipeline, PluginRun

__all__ = [
    "ENTRY_POINT_GROUP",
    "JWT_CLAIMS",
    "OPERATION_KIND",
    "OPERATION_NAME",
    "PLUGIN_FAILED",
    "PLUGIN_TIMEOUT",
    "STAGES",
    "Context",
    "ExecutionRequest",
    "ExecutionResponse",
    "LoadedPlugin",
    "NoConfig",
    "Plugin",
    "PluginEntry",
    "PluginError",
    "PluginLoadError",
    "PluginPipeline",
    "PluginRun",
    "Response",
    "RouterRequest",
    "RouterResponse",
    "SubgraphRequest",
    "SubgraphResponse",
    "SupergraphRequest",
    "SupergraphResponse",
    "load_plugins",
]
