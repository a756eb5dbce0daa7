"""Service functions: each takes a Store and returns polars frames or typed records."""
