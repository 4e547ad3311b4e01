"""Running many calls without losing any: the scheduler (concurrency, retries), the response cache, the run's
counters and the output directory's lock. Knows nothing of suites or results."""
