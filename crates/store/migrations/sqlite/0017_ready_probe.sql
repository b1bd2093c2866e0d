-- One row that `/readyz` rewrites: a node is ready only while a real write
-- commits, since a disk that is full still answers reads and empty transactions.
CREATE TABLE ready_probe (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms BIGINT NOT NULL
);
