"""The published JSON Schema of ``router.yaml`` (``polyshop router config-schema``)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, create_model

SCHEMA_ID = "https://polyshop.example/schemas/router.yaml.json"


def config_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the configuration file: every setting the file may hold,
    with its default and description; unknown keys are refused, as the router refuses them."""
    from router.settings import RouterSettings

    fields = {
        name: (info.annotation, info)
        for name, info in RouterSettings.model_fields.items()
        if name not in RouterSettings.NOT_IN_FILE
    }
    file_model = create_model(  # type: ignore[call-overload]
        "RouterConfigFile",
        __config__=ConfigDict(extra="forbid"),
        __doc__="router.yaml: the PolyShop router's configuration file.",
        **fields,
    )
    schema: dict[str, Any] = file_model.model_json_schema(mode="validation", by_alias=False)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
