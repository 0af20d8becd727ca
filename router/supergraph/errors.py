"""The one exception of the supergraph package."""

from __future__ import annotations


class SupergraphError(ValueError):
    """A supergraph that cannot be read, or that this router must refuse.

    The message is meant for an operator: it names the element or feature at fault.
    """
