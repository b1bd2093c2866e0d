-- Who reads a confidential category's tips (举报线索的阅读范围): a JSON object
-- {"roles": [...], "orgs": [organisation ids]}. NULL inherits: a minor takes
-- its major's set, a major without one the default (zone administrators and
-- street staff). Callers outside the set do not see the tip at all, except
-- the department it is dispatched to, which sees its text but not the reporter.
ALTER TABLE case_categories ADD COLUMN tip_readers TEXT;
