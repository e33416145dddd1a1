"""The online matcher: one record at a time against an in-memory candidate index.

`index.py` holds the records' comparison features keyed by the blocking rules;
`loader.py` fills it from the store and keeps it current; `matcher.py` scores candidates
with the stored model exactly as the batch link does (docs/online-identity.md).
"""
