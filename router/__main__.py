"""``python -m router``: run the router (options as in ``polyshop router``)."""

import typer

from router.cli import serve

if __name__ == "__main__":
    typer.run(serve)
