"""Which Chorus status may come right after which: a search showing anything else skipped some.

The search (`rechercherFactureParFournisseur`) shows an invoice's current status only. When it
is one that may directly follow the last status we stored, nothing was missed and no call is
needed; otherwise the statuses passed in between are read from `consulterHistoriqueFacture`,
one call for that invoice. The order is the supplier-visible lifecycle of API.md §4.3 and the
recipient's actions of §7.C; statuses outside it (validation circuits, works invoices) are rare
and always worth the history call.
"""

from __future__ import annotations

# Known status (None: nothing stored yet, the flux was just integrated) -> the statuses that
# may follow it directly. Optional steps (routing, accounting) may be passed by, so the steps
# after them may follow the step before them too.
NEXT_STATUSES: dict[str | None, frozenset[str]] = {
    None: frozenset({"DEPOSEE"}),
    "DEPOSEE": frozenset({"EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"}),
    "EN_COURS_ACHEMINEMENT": frozenset({"MISE_A_DISPOSITION"}),
    "MISE_A_DISPOSITION": frozenset({"SERVICE_FAIT", "SUSPENDUE", "REJETEE", "A_RECYCLER"}),
    "SUSPENDUE": frozenset({"COMPLETEE"}),
    "COMPLETEE": frozenset({"MISE_A_DISPOSITION"}),
    "A_RECYCLER": frozenset({"EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"}),
    "SERVICE_FAIT": frozenset({"MANDATEE"}),
    "MANDATEE": frozenset({"MISE_A_DISPOSITION_COMPTABLE", "MISE_EN_PAIEMENT"}),
    "MISE_A_DISPOSITION_COMPTABLE": frozenset({"COMPTABILISEE", "MISE_EN_PAIEMENT"}),
    "COMPTABILISEE": frozenset({"MISE_EN_PAIEMENT"}),
}


def is_jump(known: str | None, observed: str) -> bool:
    """True when `observed` cannot directly follow `known`: Chorus Pro passed statuses the
    search no longer shows (or reached `known` again), and only the history holds them."""
    return observed not in NEXT_STATUSES.get(known, frozenset())
