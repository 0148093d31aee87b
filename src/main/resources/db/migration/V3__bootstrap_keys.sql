-- Which keys the service made itself at start-up (the configured or generated admin key): a restart
-- with another configured key revokes them, so an old admin key never outlives a rotation.
ALTER TABLE api_keys ADD COLUMN bootstrap BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE api_keys SET bootstrap = TRUE WHERE name LIKE 'bootstrap admin key%';
