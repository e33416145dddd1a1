"""The synthetic partnership: a fictional UK locality and its partners' extracts.

`generate(persons, seed, out_dir)` writes nine partner extracts (each in its own layout),
their mapping files, the ground truth and a manifest; `core_records(persons, seed)` gives the
same records as Arrow tables in the core record format without writing files. See
docs/synthetic-data.md.
"""

from __future__ import annotations

from joinedup.synth.generate import PROGRESS_TOTAL, generate
from joinedup.synth.partnership import CoreExtract, core_records
from joinedup.synth.population import EXTRACT_DATE
from joinedup.synth.rates import RATE_HELP, ErrorRates

__all__ = [
    "EXTRACT_DATE",
    "PROGRESS_TOTAL",
    "RATE_HELP",
    "CoreExtract",
    "ErrorRates",
    "core_records",
    "generate",
]
