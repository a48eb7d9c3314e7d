"""The job layer: background training jobs and each run's records, split by concern.

- `settings`: limits, lifetimes and what the environment chooses (DASH_JOBS, REDIS_URL, …);
- `stores`: the key-value store the records live in (the job cache directory, or Redis);
- `records`: a run's records (progress, outcome, cancel flag, heartbeat, …) and the run cap's slots;
- `backends`: Dash's DiskcacheManager or CeleryManager with the records, built from the environment;
- `dash_internals`: everything that leans on Dash's internals (the fork lock, the job processes).

Dash reports a job that died (killed, out of memory, a lost worker) exactly like a cancelled one:
no result. So every job records its outcome under its run id, and the page reads that record,
never Dash's result, to say how a run ended (components/runs.py).
"""
