"""Signing keys encrypted at rest: rows written in the clear are encrypted, and a check
constraint refuses any plaintext private key from now on.

The passphrase is the auth service's (``POLYSHOP_AUTH_KEY_PASSPHRASE``, or the dev-mode one),
or ``auth_key_passphrase`` among the Alembic config's attributes when the caller passes it
(the dev stack does). It is needed only when plaintext rows exist.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from subgraphs.auth.keys import decrypt_private_key, encrypt_private_key
from subgraphs.auth.settings import AuthSettings

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENCRYPTED = "-----BEGIN ENCRYPTED PRIVATE KEY-----%"
CONSTRAINT = "signing_keys_private_key_encrypted"


def _passphrase() -> bytes:
    given = context.config.attributes.get("auth_key_passphrase")
    if isinstance(given, str) and given:
        return given.encode()
    return AuthSettings().key_passphrase()


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT kid, private_key_pem FROM signing_keys WHERE private_key_pem NOT LIKE :p"),
        {"p": ENCRYPTED},
    ).all()
    if rows:
        passphrase = _passphrase()
        for kid, pem in rows:
            encrypted = encrypt_private_key(decrypt_private_key(pem, None), passphrase)
            connection.execute(
                sa.text("UPDATE signing_keys SET private_key_pem = :pem WHERE kid = :kid"),
                {"pem": encrypted, "kid": kid},
            )
    op.create_check_constraint(CONSTRAINT, "signing_keys", f"private_key_pem LIKE '{ENCRYPTED}'")


def downgrade() -> None:
    # The keys stay encrypted: a downgrade never writes a private key in the clear.
    op.drop_constraint(CONSTRAINT, "signing_keys", type_="check")
