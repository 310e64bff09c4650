-- Declaration drafts (issue 16, the portal's "save as draft"): what a
-- trader or broker typed in the lodging form, unchecked, kept for later.
-- A draft belongs to the operator (`operator`, the party's EORI) whose
-- user saved it; every user of that party sees it, no other party does
-- (every query is scoped by `operator`). `body` is the typed form as JSON
-- (field name → value, and the item count); `name` is the LRN typed, or
-- empty ("untitled"). Times are UTC nanoseconds. Drafts are deleted when
-- lodged or on request; the per-party limit is the application's.
CREATE TABLE declaration_drafts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operator    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX declaration_drafts_operator ON declaration_drafts (operator, updated_at);
