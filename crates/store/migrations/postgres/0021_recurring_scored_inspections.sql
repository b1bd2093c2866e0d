-- Recurring plans and scored records. A plan with a recurrence makes each
-- target due again one interval after its last record (`recurrence` is
-- yearly, monthly or every_n_days, with `recurrence_days` for the last); a
-- record on a template with scored items keeps its scores by item, their
-- total and, with a pass mark, whether it passed (1/0). Old rows stay NULL:
-- plans that do not recur, records that were not scored.
ALTER TABLE inspection_plans ADD COLUMN recurrence TEXT;
ALTER TABLE inspection_plans ADD COLUMN recurrence_days BIGINT;
ALTER TABLE inspection_records ADD COLUMN scores TEXT;
ALTER TABLE inspection_records ADD COLUMN score BIGINT;
ALTER TABLE inspection_records ADD COLUMN passed BIGINT;
