"""Raw storage: the one Arrow schema of raw responses and its append-only Parquet files."""
