"""The web dashboard: ``perpscope serve`` (docs/dashboard.md)."""
