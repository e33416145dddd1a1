"""joinedup: a data-sharing hub for the public-service partners of one locality."""

__version__ = "0.1.0"
