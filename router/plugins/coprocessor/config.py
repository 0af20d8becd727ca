"""The ``coprocessor`` section of ``router.yaml``, in Apollo Router's shape.

An Apollo Router configuration's ``coprocessor`` section is accepted as it is: ``url``,
``timeout`` (``1s``, ``500ms`` or a number of seconds; default one second), and per stage
(``router``, ``supergraph``, ``execution``: ``request``/``response``; ``subgraph.all``:
``request``/``response``) the parts sent (``headers``, ``body``, ``context``, ``sdl``,
``path``, ``method``, ``status_code``, ``query_plan``, ``uri``, ``service_name``,
``subgraph_request_id``) and an optional stage ``url``. A stage that is not configured is
never called. Two keys are ours: ``timeout`` per stage, and ``on_error`` per stage:
``fail_closed`` (Apollo Router's behaviour: the request fails with a GraphQL error) or
``fail_open`` (the failure is counted and logged and the request goes on unchanged).
Apollo Router's ``condition`` and ``client`` keys are not supported and refused.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


def parse_duration(value: Any) -> Any:
    """``"1s"``, ``"250ms"``, ``"2m"`` (humantime, as Apollo Router writes them) → seconds."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"not a duration: {value!r} (write 500ms, 1s, 2m or seconds)")
        number = float(match.group(1))
        unit = match.group(2) or "s"
        return number / 1000 if unit == "ms" else number * 60 if unit == "m" else number
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]


class SelectiveContext(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    selective: tuple[str, ...]
    """Only these context keys are sent."""


ContextSetting = bool | Literal["all", "deprecated"] | SelectiveContext
"""``false`` (default): no context; ``true``, ``all`` or ``deprecated``: every entry (our
keys have no older names, so ``deprecated`` equals ``all``); ``{selective: [keys]}``."""


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    url: str | None = None
    """This stage's coprocessor, instead of the section's ``url``."""
    timeout: Duration | None = None
    """This stage's timeout, instead of the section's (ours, not Apollo Router's)."""
    on_error: Literal["fail_closed", "fail_open"] = "fail_closed"
    """A failed or timed-out call: fail the request (as Apollo Router) or go on unchanged."""
    headers: bool = False
    body: bool = False
    context: ContextSetting = False


class RouterRequestStage(_Stage):
    sdl: bool = False
    path: bool = False
    method: bool = False


class RouterResponseStage(_Stage):
    sdl: bool = False
    status_code: bool = False


class SupergraphRequestStage(_Stage):
    sdl: bool = False
    method: bool = False


class SupergraphResponseStage(_Stage):
    sdl: bool = False
    status_code: bool = False


class ExecutionRequestStage(_Stage):
    sdl: bool = False
    method: bool = False
    query_plan: bool = False


class ExecutionResponseStage(_Stage):
    sdl: bool = False
    status_code: bool = False


class SubgraphRequestStage(_Stage):
    uri: bool = False
    method: bool = False
    service_name: bool = False
    subgraph_request_id: bool = False


class SubgraphResponseStage(_Stage):
    service_name: bool = False
    status_code: bool = False
    subgraph_request_id: bool = False


class _Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouterStages(_Pair):
    request: RouterRequestStage | None = None
    response: RouterResponseStage | None = None


class SupergraphStages(_Pair):
    request: SupergraphRequestStage | None = None
    response: SupergraphResponseStage | None = None


class ExecutionStages(_Pair):
    request: ExecutionRequestStage | None = None
    response: ExecutionResponseStage | None = None


class SubgraphPair(_Pair):
    request: SubgraphRequestStage | None = None
    response: SubgraphResponseStage | None = None


class SubgraphStages(_Pair):
    all: SubgraphPair = Field(default_factory=SubgraphPair)
    """Every subgraph's requests and responses."""


class CoprocessorConfig(BaseModel):
    """An external coprocessor speaking Apollo Router's protocol (JSON over HTTP POST)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    url: str
    """Where the router POSTs its stage requests."""
    timeout: Duration = 1.0
    """Seconds (or ``1s``, ``500ms``) a coprocessor call may take; Apollo's default, 1 s."""
    router: RouterStages = Field(default_factory=RouterStages)
    supergraph: SupergraphStages = Field(default_factory=SupergraphStages)
    execution: ExecutionStages = Field(default_factory=ExecutionStages)
    subgraph: SubgraphStages = Field(default_factory=SubgraphStages)
