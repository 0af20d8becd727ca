"""``demand_control``: cost analysis of operations (IBM's ``@cost``/``@listSize``), as Apollo
Router names it.

.. code-block:: yaml

    demand_control:
      enabled: true
      mode: enforce            # or measure: compute, export, never refuse
      strategy:
        static_estimated:
          list_size: 10        # assumed length of lists without @listSize
          max: 1000            # estimated cost above this is refused (enforce mode)
      expose_cost: false       # extensions.cost in every answer

See ``docs/router.md`` for how costs are computed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StaticEstimated(BaseModel):
    """Apollo's ``static_estimated`` strategy: fixed weights per element (objects 1, scalars
    and enums 0, ``@cost`` overriding), lists multiplied by their size, mutations 10 more."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    list_size: int = Field(default=10, ge=0)
    """Assumed number of items of a list field whose size no ``@listSize`` (slicing argument
    value or ``assumedSize``) gives."""
    max: float = Field(default=1000.0, ge=0)
    """Highest estimated cost accepted; above it the operation is refused in ``enforce``
    mode (``COST_ESTIMATED_TOO_EXPENSIVE``) before it is planned or sent to a subgraph."""


class DemandControlStrategy(BaseModel):
    """How operations are costed (Apollo's ``strategy``; one strategy for now)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    static_estimated: StaticEstimated = Field(default_factory=StaticEstimated)
    """Static analysis of the operation against the supergraph's cost directives."""


class DemandControlConfig(BaseModel):
    """Demand control: estimated cost before execution, actual cost after."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    enabled: bool = False
    """Compute costs at all (off: no cost code runs)."""
    mode: Literal["measure", "enforce"] = "measure"
    """``measure`` computes and exports costs and never refuses; ``enforce`` refuses
    operations whose estimated cost exceeds ``strategy.static_estimated.max``."""
    strategy: DemandControlStrategy = Field(default_factory=DemandControlStrategy)
    """The cost strategy and its limits."""
    expose_cost: bool = False
    """Add ``extensions.cost`` (``estimated``, ``actual``, ``max``, ``result``, ``strategy``)
    to every answer, refused ones included."""
