"""Records: the core record format in use, mappings, validation, ingest, data quality, challenges."""
