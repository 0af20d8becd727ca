"""Plugins the router ships, registered as entry points of ``polyshop.router.plugins``
(``request_logging``); list them by that name in ``router.yaml``."""
