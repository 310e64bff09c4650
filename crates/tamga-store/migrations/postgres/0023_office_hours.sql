-- Customs offices: working hours (local time, `tamga_core::office_hours`
-- syntax; '' = not published) and services (';'-separated codes). The
-- reference load fills them from reference/offices.csv on start.
ALTER TABLE offices ADD COLUMN hours TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN services TEXT NOT NULL DEFAULT '';

-- The notifications of one declaration (the trader's declaration page).
CREATE INDEX notifications_mrn ON notifications (mrn, recipient, id);
