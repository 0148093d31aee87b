-- Memory (issue 13, item 5). A job's estimated memory, set at creation for jobs that may run on a
-- worker's host memory (null: not estimated; any worker may take it); the budget of the worker
-- holding it and the most its attempt was measured to use, which the lease reaper reads when that
-- worker dies. Workers register their budget per job.
ALTER TABLE jobs ADD COLUMN memory_estimate_bytes BIGINT;
ALTER TABLE jobs ADD COLUMN memory_budget_bytes BIGINT;
ALTER TABLE jobs ADD COLUMN memory_peak_bytes BIGINT;
ALTER TABLE workers ADD COLUMN memory_budget_bytes BIGINT;
