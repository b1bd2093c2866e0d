-- Internal categories (内部事项): tasks staff assign among themselves, such as
-- a meeting's or a higher office's (督办事项 › 会议交办事项, 上级交办事项). They
-- are never offered to the public, nor are their cases listed to anonymous
-- callers. A minor is internal if it or its major is, as with `confidential`.
ALTER TABLE case_categories ADD COLUMN internal BIGINT NOT NULL DEFAULT 0;
UPDATE case_categories SET internal = 1 WHERE code IN ('12', '1201', '1202');
