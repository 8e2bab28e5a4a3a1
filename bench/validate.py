"""Invoices per second for check + generate (CII), on one core.

    python bench/validate.py            # report
    python bench/validate.py --check    # also exit 1 when the 10-line median exceeds 2 ms

A benchmark, not a test: shared machines are noisy, so the budget is only enforced on demand.
Each case runs several repeats of many iterations and reports the median repeat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.validation import check_rules

BUDGET_MS = 2.0
TODAY = date(2026, 11, 26)


def make_document(line_count: int) -> InvoiceDocument:
    """A realistic invoice: two rates, a line allowance every 7 lines, a document charge."""
    lines: list[dict[str, Any]] = []
    for i in range(1, line_count + 1):
        line: dict[str, Any] = {
            "id": str(i),
            "name": f"Article {i}",
            "quantity": str(i % 9 + 1),
            "unit_price": f"{i % 50 + 1}.125",
            "vat_rate": "20" if i % 3 else "5.5",
        }
        if i % 7 == 0:
            line["allowances"] = [{"amount": "1.00", "reason": "Remise fidélité"}]
        lines.append(line)
    return InvoiceDocument.model_validate(
        {
            "number": f"BENCH-{line_count}",
            "issue_date": "2026-11-20",
            "due_date": "2026-12-20",
            "supplier": {
                "name": "Atelier Dupont SARL",
                "siret": "81234567600017",
                "vat_id": "FR19812345676",
                "address": {"line1": "12 rue des Lilas", "postal_code": "33000"},
            },
            "recipient": {
                "name": "Commune de Bordeaux",
                "siret": "21330063500025",
                "address": {"line1": "Place Pey-Berland", "postal_code": "33000"},
            },
            "service_code": "SERVICE-FACTURES-01",
            "engagement_number": "EJ-1300012345",
            "payment": {"type_code": "30", "iban": "FR7630006000011234567890189"},
            "lines": lines,
            "charges": [
                {"amount": "15.00", "reason": "Transport", "vat_category": "S", "vat_rate": "20"}
            ],
        }
    )


def check_and_generate(document: InvoiceDocument) -> None:
    errors = check_rules(document, today=TODAY)
    if errors:
        raise SystemExit(f"benchmark invoice is invalid: {errors}")
    render(document, Syntax.CII_D16B)


def measure(run: Callable[[], None], repeats: int, iterations: int) -> float:
    """Median seconds per call over `repeats` timed batches of `iterations` calls."""
    run()  # warm caches (compiled patterns, lru caches) outside the timing
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            run()
        samples.append((time.perf_counter() - start) / iterations)
    return statistics.median(samples)


def pin_to_one_cpu() -> str:
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"fail above {BUDGET_MS} ms")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    print(f"check + generate (CII), {pin_to_one_cpu()}, median of {args.repeats} repeats")
    results = {}
    for line_count, iterations in ((10, 500), (500, 10)):
        document = make_document(line_count)
        seconds = measure(lambda d=document: check_and_generate(d), args.repeats, iterations)
        check_only = measure(
            lambda d=document: check_rules(d, today=TODAY), args.repeats, iterations
        )
        results[line_count] = seconds
        print(
            f"{line_count:>4} lines: {1 / seconds:8.0f} invoices/s"
            f"  {seconds * 1000:7.3f} ms/invoice  (checks alone {check_only * 1000:.3f} ms)"
        )
    if args.check and results[10] * 1000 > BUDGET_MS:
        print(f"FAIL: 10-line invoice takes {results[10] * 1000:.3f} ms > {BUDGET_MS} ms")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
