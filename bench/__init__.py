"""The dashboard's benchmark suite: `python -m bench` (full) or `python -m bench --quick` (smoke)."""
