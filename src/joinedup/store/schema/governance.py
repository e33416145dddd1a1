"""Governance tables: users, roles, tokens, agreements, consent, break-glass and audit."""
