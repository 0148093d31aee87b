-- The column holds the job's resolved settings (hyperparameters and optimizer options) as JSON;
-- "spec" said nothing of that.
ALTER TABLE jobs RENAME COLUMN spec TO settings;
