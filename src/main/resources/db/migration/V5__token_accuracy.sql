-- Issue 17. Each step's mean token accuracy (valid_accuracy, already there, now also holds the
-- causal-LM validation's mean token accuracy); the checkpoint's accuracy figures beside its losses
-- (what the checkpoint's `metrics` show); and the job's results file (`result_files`), linked when
-- the job ends, in the same transaction as its terminal status.
ALTER TABLE job_metrics ADD COLUMN train_accuracy DOUBLE PRECISION;
ALTER TABLE checkpoints ADD COLUMN train_accuracy DOUBLE PRECISION;
ALTER TABLE checkpoints ADD COLUMN valid_accuracy DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN result_file VARCHAR(64);
