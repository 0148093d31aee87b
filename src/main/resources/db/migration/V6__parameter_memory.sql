-- Issue 19. Each parameter's optimizer memory (name, shape, type, device, how its second moment is
-- kept, state and Adam-equivalent bytes) as a JSON list. The API process serves it while workers,
-- which may be other processes, measure it: it is written once per attempt, after the first step
-- (the state never changes size), and read only by the metrics endpoint.
ALTER TABLE jobs ADD COLUMN parameter_memory TEXT;
