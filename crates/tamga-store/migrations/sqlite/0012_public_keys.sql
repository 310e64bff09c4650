-- One registry of every public key, whoever registered it (issue 13,
-- finding 9): a key belongs to one operator or one customs user, so a
-- signature names its signer unambiguously. Operators' keys
-- (`signing_keys`) and officers' keys (`officer_keys`) enter it through
-- the triggers below, so the primary key refuses a key registered in
-- either table by anyone else, race-safe, whatever path inserts it.
-- `owner` is `operator:<EORI>` or `user:<username>`.
CREATE TABLE public_keys (
    key_id TEXT PRIMARY KEY,
    owner  TEXT NOT NULL
);

-- Keys already registered: the first registration of a key id owns it.
INSERT OR IGNORE INTO public_keys (key_id, owner)
SELECT key_id, owner FROM (
    SELECT key_id, 'operator:' || operator AS owner, created_at FROM signing_keys
    UNION ALL
    SELECT key_id, 'user:' || username AS owner, created_at FROM officer_keys
) ORDER BY created_at, owner;

CREATE TRIGGER signing_keys_public_key BEFORE INSERT ON signing_keys
BEGIN
    INSERT INTO public_keys (key_id, owner) VALUES (NEW.key_id, 'operator:' || NEW.operator);
END;

CREATE TRIGGER officer_keys_public_key BEFORE INSERT ON officer_keys
BEGIN
    INSERT INTO public_keys (key_id, owner) VALUES (NEW.key_id, 'user:' || NEW.username);
END;
