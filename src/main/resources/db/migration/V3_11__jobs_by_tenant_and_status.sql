-- Fair claims (issue 13, item 11) rank each tenant by its running jobs and its oldest queued one,
-- once per queued candidate: an index by tenant and status keeps those counts from reading the
-- tenant's whole history.
CREATE INDEX jobs_by_tenant_status ON jobs (tenant_id, status, created_at);
