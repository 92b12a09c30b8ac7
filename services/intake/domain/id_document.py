"""The applicant's identity document (有效身份证件扫描件或照片), as intake takes it: one JPEG, PNG
or PDF file, its kind decided from the content's first bytes, never from its name or the type the
client declared (a name says nothing about the content, and can itself be personal)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.refusals import Reason, Refused

FIELD = "id_document"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# The magic bytes of each kind taken: a JPEG starts with its SOI marker and the next marker's
# FF; a PNG with its eight-byte signature; a PDF with its header (ISO 32000-1 §7.5.2).
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
MEDIA_TYPES = frozenset(media_type for _, media_type in _MAGIC)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

WRONG_TYPE = "证件材料须为JPG、PNG格式的图片或PDF文件"
EMPTY = "证件材料文件为空，请重新选择"


def sniff(content: bytes) -> str | None:
    """The media type the content's magic bytes show, or None for anything else."""
    return next((media_type for magic, media_type in _MAGIC if content.startswith(magic)), None)


def size_label(size: int) -> str:
    """5242880 → "5MB" (binary units, as the limit is set)."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{name}"
    return f"{size}字节"


def too_large(max_bytes: int) -> str:
    return f"证件材料不得超过{size_label(max_bytes)}"


class DocumentRefused(Refused):
    """The file cannot be taken: too large (`Reason.TOO_LARGE`) or not an accepted kind."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message, reason=reason)


@dataclass(frozen=True)
class IdDocumentFile:
    """A file that passed the checks: its bytes, the sniffed media type and their digest."""

    content: bytes
    media_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def take(content: bytes, max_bytes: int) -> IdDocumentFile:
    """The file as intake keeps it, or DocumentRefused saying why not."""
    if len(content) > max_bytes:
        raise DocumentRefused(Reason.TOO_LARGE, too_large(max_bytes))
    if not content:
        raise DocumentRefused(Reason.INVALID, EMPTY)
    media_type = sniff(content)
    if media_type is None:
        raise DocumentRefused(Reason.INVALID, WRONG_TYPE)
    return IdDocumentFile(content, media_type, hashlib.sha256(content).hexdigest())
