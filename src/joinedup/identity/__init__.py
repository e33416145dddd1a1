"""Identity: person numbers, the linkage model, batch and online linking, review."""
