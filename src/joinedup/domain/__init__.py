"""Pure domain code: no I/O, no framework imports (checked by mypy --strict and a test).

Core record format, identifiers, match scoring, policy decisions, disclosure control.
"""
