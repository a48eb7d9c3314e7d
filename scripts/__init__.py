"""Tools run from the repository root as modules: `python -m scripts.loadtest`,
`python -m scripts.scaling_bench`, `python -m scripts.screenshots` (scripts/test.sh stays a bash script)."""
