"""A local SMTP server that keeps every message in a maildir instead of delivering it.

The dev stack points notifications at it, so order e-mails are real SMTP traffic that a
developer (or a test) can read from ``<data dir>/mail`` with any maildir reader, e.g.
``mutt -f .polyshop/mail`` or Python's `mailbox.Maildir`.
"""

from __future__ import annotations

import mailbox
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from polyshop.devstack.ports import free_port


class MailCatcher:
    """aiosmtpd on its own thread and event loop, so writing the maildir never blocks the
    supervisor's loop."""

    def __init__(self, mail_dir: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.mail_dir = mail_dir.resolve()
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> None:
        self.mail_dir.parent.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        controller = Controller(
            Mailbox(self.mail_dir), hostname=self.host, port=self.port, ready_timeout=10.0
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailCatcher:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def read_maildir(mail_dir: Path) -> list[Message]:
    """Every message caught so far (new and seen), oldest first by delivery time."""
    if not mail_dir.exists():
        return []
    box = mailbox.Maildir(mail_dir, create=False)
    keyed = sorted(box.items(), key=lambda item: item[1].get_date())
    return [message for _key, message in keyed]
