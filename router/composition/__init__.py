"""Federation 2 composition: subgraph SDLs -> supergraph SDL (join spec), with Apollo's rules.

`compose` is pure (no I/O); `polyshop compose` / `polyshop check` build on it. The pipeline,
one module per step:

* `builder`: SDL -> `model.Subgraph` (``@link`` names, GraphQL validity via graphql-core)
* `upgrade`: Federation 1 subgraphs -> Federation 2 semantics
* `federation` + `fieldset` + `validation`: keys, externals, shareability; per-subgraph rules
* `merge` (with `fields`, `directives`): the supergraph as `merged.MSchema` plus join directives
* `postmerge`: interface implementations and ``@inaccessible`` rules on the result
* `satisfiability`: every API field reachable through some subgraph path
* `printer`: Apollo's exact printing (so outputs can be diffed with Apollo's)
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
