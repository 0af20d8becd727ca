"""``GET /images/<id>``: the bytes of uploaded product images, for browsers' ``<img>`` tags.

Public like the catalogue's reads (the path is outside the token-protected ``/graphql``). An
image's bytes never change (a new upload is a new image with a new id), so answers are cached
for a year (``immutable``) and carry the SHA-256 as ETag; ``If-None-Match`` gets a 304. The
content type is the one sniffed from the bytes at upload, and ``nosniff`` keeps browsers to it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.errors import BadUserInput
from subgraphs.products import service

router = APIRouter()

CACHE_CONTROL = "public, max-age=31536000, immutable"


@runtime_checkable
class UploadedFile(Protocol):
    """What Strawberry gives an ``Upload`` argument (Starlette's ``UploadFile``)."""

    async def read(self, size: int = -1) -> bytes: ...


READ_CHUNK = 64 * 1024


async def read_upload(file: object, limit: int) -> bytes:
    """The file's bytes, reading at most ``limit + 1`` of them (the caller refuses more).

    ``Upload`` accepts any JSON value outside a multipart request; such a value is refused
    here as the client's mistake (``BAD_USER_INPUT``)."""
    if not isinstance(file, UploadedFile):
        raise BadUserInput(
            "`file` must be an uploaded file: send the operation as a GraphQL multipart request",
            field="file",
        )
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await file.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def image_url(base_url: str, image_id: int) -> str:
    """Where ``GET /images/<id>`` of the service at ``base_url`` serves image ``image_id``."""
    return f"{base_url.rstrip('/')}/images/{image_id}"


@router.api_route("/images/{image_id}", methods=["GET", "HEAD"], include_in_schema=False)
async def get_image(image_id: int, request: Request) -> Response:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        stored = await service.image_file(session, image_id)
    if stored is None:
        return Response(b"image not found\n", status_code=404, media_type="text/plain")
    etag = f'"{stored.sha256}"'
    headers = {
        "cache-control": CACHE_CONTROL,
        "etag": etag,
        "x-content-type-options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    body = b"" if request.method == "HEAD" else stored.data
    headers["content-length"] = str(stored.byte_size)
    return Response(body, media_type=stored.content_type, headers=headers)
