"""The router's configuration file (``router.yaml``): reading, validation, hot reload.

The router has one settings object, `router.settings.RouterSettings`. Its values come from, in
order of precedence: arguments given by the command line, ``POLYSHOP_ROUTER_*`` environment
variables, the optional YAML file named by ``POLYSHOP_ROUTER_CONFIG`` (or ``--config``), and
the defaults. Simple values are flat settings (``port``, ``subgraph_timeout``); structured
policy lives in sections named as in Apollo Router (``cors``, ``headers``, ``traffic_shaping``,
``persisted_queries``, ``demand_control``, ...), each a pydantic model of its own that refuses
unknown keys. A section can still be overridden from the environment, whole as JSON
(``POLYSHOP_ROUTER_CORS='{"allow_any_origin": true}'``) or one key at a time with ``__``
between levels (``POLYSHOP_ROUTER_CORS__ALLOW_ANY_ORIGIN=true``).

The file may use ``${env.NAME}`` and ``${env.NAME:-default}`` anywhere in a string value; an
unset variable without a default is an error, never an empty string. `config_json_schema` is
the published JSON Schema of the file (``polyshop router config-schema``); editors validate
``router.yaml`` with it. `ConfigWatcher` re-reads the file while the router runs: a valid new
file takes effect for the next requests, a broken one is logged and the old configuration
keeps serving.
"""

from router.config.file import ConfigError, expand_env, read_config_file
from router.config.schema import config_json_schema
from router.config.watcher import ConfigWatcher, SettingsReloaded, describe_error

__all__ = [
    "ConfigError",
    "ConfigWatcher",
    "SettingsReloaded",
    "config_json_schema",
    "describe_error",
    "expand_env",
    "read_config_file",
]
