-- The dashboard's recent decisions of an environment, newest first, without sorting all of them.
CREATE INDEX decisions_recent ON decisions (tenant_id, environment, evaluated_at DESC);
