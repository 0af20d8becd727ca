"""The router's HTTP face: an ASGI app serving `/graphql`, GraphiQL and `/health`."""

from .app import RouterApp, create_app

__all__ = ["RouterApp", "create_app"]
