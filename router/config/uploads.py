"""The ``file_uploads`` section of ``router.yaml``: the GraphQL multipart request spec.

Like Apollo Router's ``preview_file_uploads`` (multipart protocol, stream mode), with its limits
flattened: ``max_files`` per request and ``max_file_size`` per file. Sizes are bytes or strings
such as ``"512kb"``, ``"10MB"``, ``"1gb"`` (powers of 1024).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?i?b)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def _size(value: Any) -> Any:
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match is None:
            raise ValueError(f'\'{value}\' is not a size (e.g. 1048576, "512kb", "10mb")')
        unit = (match.group(2) or "b").lower().replace("i", "")
        return int(match.group(1)) * _UNITS[unit]
    return value


ByteSize = Annotated[int, BeforeValidator(_size), Field(ge=1)]


class FileUploadsConfig(BaseModel):
    """``multipart/form-data`` operations with files (``Upload`` variables)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    enabled: bool = True
    """Accept multipart requests; off, they are refused with 415 as before."""
    max_files: int = Field(default=5, ge=1)
    """Files per request; more is refused (``UPLOAD_TOO_MANY_FILES``)."""
    max_file_size: ByteSize = 10 * 1024**2
    """Bytes per file; a larger file is refused (``UPLOAD_FILE_TOO_LARGE``)."""
