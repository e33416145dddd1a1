"""The synthetic partnership: a fictional UK locality and its partners' extracts.

`generate(persons, seed, out_dir)` writes six partners' extracts (each in its own layout),
their mapping files, the ground truth and a manifest; see docs/synthetic-data.md.
"""

from __future__ import annotations

from joinedup.synth.generate import PROGRESS_TOTAL, generate
from joinedup.synth.population import EXTRACT_DATE
from joinedup.synth.rates import RATE_HELP, ErrorRates

__all__ = ["EXTRACT_DATE", "PROGRESS_TOTAL", "RATE_HELP", "ErrorRates", "generate"]
