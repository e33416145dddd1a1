"""All tables. Importing this package registers every capability's tables on `metadata`.

Each capability owns one module here; add a new module to the import list below.
"""

from joinedup.store.schema import core, governance, identity, records

__all__ = ["core", "governance", "identity", "records"]
