"""The synthetic partnership: a fictional UK locality and its partners' extracts."""
