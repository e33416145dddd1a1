"""Governance: organisations, users, tokens, agreements, consent, the policy decision point, audit."""
