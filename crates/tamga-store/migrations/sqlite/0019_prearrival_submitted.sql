-- Each instance keeps pre-arrival information indexed in memory for the
-- declarations to come, and reads what other instances received since it
-- last looked (by submission time) when the `prearrival` epoch moves.
CREATE INDEX risk_prearrivals_submitted ON risk_prearrivals (submitted_at);
