-- Where a unit is on the ground (WGS-84 degrees, both or neither), so that a
-- report that gives only a position can be placed in the nearest unit and the
-- report form can offer the places near the reporter first.
ALTER TABLE units ADD COLUMN lat REAL;
ALTER TABLE units ADD COLUMN lon REAL;
CREATE INDEX units_position ON units(lat, lon);
