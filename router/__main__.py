"""``python -m router``: run the router (options as in ``polyshop router``)."""

from router.cli import app

if __name__ == "__main__":
    app(prog_name="python -m router")
