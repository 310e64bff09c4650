-- Event bodies (a duty assessment explains every item: ~1 KB each) and
-- declaration documents are large JSON texts. PostgreSQL compresses such
-- values with pglz by default, which costs more CPU per lodging than the
-- rest of the write; lz4 compresses them almost as well at a fraction of
-- the cost. Servers built without lz4 keep pglz.
DO $$
BEGIN
    ALTER TABLE events ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE declarations ALTER COLUMN doc SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: event bodies stay pglz-compressed';
END
$$;
