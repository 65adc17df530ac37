-- When a person made each change, by their own clock (protocol 3), beside `at`, when the
-- server applied it: a change made offline on Monday and pushed on Friday reads as Monday's.
-- Both columns are added empty and read as "not known": the previous release neither writes
-- nor reads them, so it keeps working on this schema.
ALTER TABLE changes ADD COLUMN made_at text;
-- A conflict's two sides' times of making, kept beside its body (not in it) because the
-- previous release reads bodies with a strict parser that refuses fields it does not know.
ALTER TABLE conflicts ADD COLUMN made_at jsonb;
