"""Containers and orchestration: the image's entrypoint and the generators of deploy files.

Not part of the installed package: the image runs it from its source tree (``/app``).
"""
