-- API tokens expire. Tokens issued before this version get 90 days from the
-- upgrade, so that no running integration stops at once.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET expires_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) * 1000 + 7776000000
    WHERE expires_at IS NULL;
