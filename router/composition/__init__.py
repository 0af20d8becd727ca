"""Federation 2 composition: subgraph SDLs -> supergraph SDL (join spec), with Apollo's rules.

`compose` is pure (no I/O); `polyshop compose` / `polyshop check` build on it.
"""

from router.composition.api import CompositionResult, SubgraphSource, compose
from router.composition.errors import CompositionError, CompositionHint

__all__ = [
    "CompositionError",
    "CompositionHint",
    "CompositionResult",
    "SubgraphSource",
    "compose",
]
