-- Two-factor login (RFC 6238). The secret is sealed with the data key like
-- other personal-security data; it counts only once confirmed
-- (totp_enabled_at). The last accepted time step refuses a code used twice.
ALTER TABLE users ADD COLUMN totp_secret_enc BLOB;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Recovery codes are stored as SHA-256 hashes of high-entropy codes shown once;
-- each is good for one login.
CREATE TABLE totp_recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id),
    code_hash BLOB NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
