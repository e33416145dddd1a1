"""Views: read models for people, built on identity and governance.

`known_to` answers a practitioner's first question — who else works with this person, and
how do I reach them? — showing each involvement only as far as the policy decision point
allows. Every view is decided and audited through `joinedup.governance.pdp` in the same
transaction as the read.
"""
