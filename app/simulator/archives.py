"""Unpack a deposited flux: one file, or a tar(.gz) / zip archive holding several invoices.

Chorus Pro accepts archives in a flux (OCA sends a .tar.gz). Members are read in memory only,
never written to disk, and the uncompressed total is capped before anything is decompressed
past the cap, so an archive bomb costs at most `max_archive_bytes`.
"""

from __future__ import annotations

import io
import tarfile
import zipfile

from app.simulator.documents import DocumentError, ParsedInvoice, read_document

MAX_MEMBERS = 1000


def read_flux(
    content: bytes, syntax: str, file_name: str, max_archive_bytes: int
) -> list[ParsedInvoice]:
    """Every invoice in the flux, in archive order; raises DocumentError if any is unreadable."""
    members = unpack(content, file_name, max_archive_bytes)
    if not members:
        raise DocumentError("SIM_ARCHIVE_VIDE", f"{file_name}: l'archive ne contient aucun fichier")
    return [read_document(data, syntax, name) for name, data in members]


def unpack(content: bytes, file_name: str, max_bytes: int) -> list[tuple[str, bytes]]:
    if content[:4] == b"PK\x03\x04":
        return _unzip(content, file_name, max_bytes)
    if content[:2] == b"\x1f\x8b" or _is_plain_tar(content):
        return _untar(content, file_name, max_bytes)
    return [(file_name, content)]


def _is_plain_tar(content: bytes) -> bool:
    return content[257:262] == b"ustar"


def _skipped(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not base or base.startswith(".") or name.startswith("__MACOSX/")


def _too_big(file_name: str, max_bytes: int) -> DocumentError:
    return DocumentError(
        "SIM_ARCHIVE_TROP_VOLUMINEUSE",
        f"{file_name}: l'archive décompressée dépasse {max_bytes} octets",
    )


def _too_many(file_name: str) -> DocumentError:
    return DocumentError(
        "SIM_ARCHIVE_TROP_DE_FICHIERS", f"{file_name}: plus de {MAX_MEMBERS} fichiers"
    )


def _unzip(content: bytes, file_name: str, max_bytes: int) -> list[tuple[str, bytes]]:
    members: list[tuple[str, bytes]] = []
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                if info.is_dir() or _skipped(info.filename):
                    continue
                if len(members) >= MAX_MEMBERS:
                    raise _too_many(file_name)
                with archive.open(info) as handle:
                    # Read one byte past the budget: declared sizes in a zip can lie.
                    data = handle.read(max_bytes - total + 1)
                total += len(data)
                if total > max_bytes:
                    raise _too_big(file_name, max_bytes)
                members.append((info.filename, data))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise DocumentError("SIM_ARCHIVE_ILLISIBLE", f"{file_name}: archive zip illisible") from exc
    return members


def _untar(content: bytes, file_name: str, max_bytes: int) -> list[tuple[str, bytes]]:
    members: list[tuple[str, bytes]] = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:*") as archive:
            # Walk headers one by one: getmembers() would decompress the whole stream first.
            while (info := archive.next()) is not None:
                if not info.isfile() or _skipped(info.name):
                    continue
                if len(members) >= MAX_MEMBERS:
                    raise _too_many(file_name)
                total += info.size
                if total > max_bytes:
                    raise _too_big(file_name, max_bytes)
                handle = archive.extractfile(info)
                if handle is None:
                    continue
                members.append((info.name, handle.read(info.size)))
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise DocumentError("SIM_ARCHIVE_ILLISIBLE", f"{file_name}: archive tar illisible") from exc
    return members
