"""Media files: deterministic, valid bytes for every generated code (a small PNG per image, a
one-page PDF per document), metadata in Akeneo's shape, and code verification without a registry.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from typing import TYPE_CHECKING, Any

from akeneo_sync.emulator.values import media_file_code

if TYPE_CHECKING:
    from akeneo_sync.emulator.state import Emulator

NAME_RE = re.compile(
    r"^[0-9a-f]{40}_(?P<name>(?P<kind>[pm])(?P<idx>\d+)_(?P<attr>[a-z_]+?)"
    r"(?:-(?P<loc>[a-z]{2}_[A-Z]{2}))?(?:-(?P<scope>[a-z]+))?)\.(?P<ext>png|pdf)$"
)
MIME = {"png": "image/png", "pdf": "application/pdf"}


def is_product_media(emu: Emulator, code: str) -> bool:
    m = NAME_RE.match(code.rsplit("/", 1)[-1])
    if not m:
        return False
    return (
        media_file_code(
            emu.config.seed, m["kind"], int(m["idx"]), m["attr"], m["loc"], m["scope"], m["ext"]
        )
        == code
    )


def exists(emu: Emulator, code: str) -> bool:
    return code in emu.catalog.s.extra_media or is_product_media(emu, code)


def content(code: str) -> bytes:
    digest = hashlib.sha1(code.encode()).digest()
    if code.endswith(".pdf"):
        text = f"BT /F1 12 Tf 20 100 Td ({code[-40:]}) Tj ET".encode()
        objs = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        ]
        out = b"%PDF-1.4\n"
        offsets = []
        for n, obj in enumerate(objs, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (n, obj)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objs) + 1,
            xref,
        )
        return out
    width = height = 8
    row = b"\x00" + bytes(digest[:3]) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def metadata(base: str, code: str) -> dict[str, Any]:
    filename = code.rsplit("/", 1)[-1].split("_", 1)[1]
    ext = filename.rsplit(".", 1)[-1]
    return {
        "_links": {"download": {"href": f"{base}/media-files/{code}/download"}},
        "code": code,
        "original_filename": filename,
        "mime_type": MIME.get(ext, "image/png"),
        "size": len(content(code)),
        "extension": ext,
    }


def list_codes(emu: Emulator, skip: int, limit: int) -> list[str]:
    """Media files in storage order: models' then products' own media values."""
    cat = emu.catalog
    out: list[str] = []
    seen = 0
    sources: list[tuple[Any, int, Any]] = [
        (cat.model_own, len(cat.m_code), cat.m_alive),
        (cat.product_own, len(cat.p_family), cat.p_alive),
    ]
    for own, total, alive in sources:
        for i in range(total):
            if not alive[i]:
                continue
            for entries in own(i)["values"].values():
                for e in entries:
                    data = e["data"]
                    if isinstance(data, str) and data.endswith((".png", ".pdf")) and "/" in data:
                        if seen >= skip:
                            out.append(data)
                            if len(out) == limit:
                                return out
                        seen += 1
    return out
