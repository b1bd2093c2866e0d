-- 0007_calendar (SQLite): holiday notices a zone administrator added in the web
-- UI, one row per year, in the text format of docs/CALENDAR.md. Every node
-- loads them at start and after a change. Keep in step with
-- ../postgres/0007_calendar.sql.
CREATE TABLE calendar_years (
    year       BIGINT PRIMARY KEY,
    notice     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
