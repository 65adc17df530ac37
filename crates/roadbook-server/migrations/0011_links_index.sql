-- roadbook: outside a transaction
-- Dependencies between programs: a program's links are found by the program their dependencies
-- name (`Storage::programs_naming`, at every sync of a program with links). An index on that one
-- value of live dependencies keeps it from reading every item of every program. Built
-- CONCURRENTLY (the items are in use), so outside a transaction; the previous release neither
-- writes nor reads it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS items_naming_program
    ON items ((fields->'other_item'->>'program_id'))
    WHERE kind = 'dependency' AND NOT deleted;
