-- queuepulse idempotent: convenience views over the dimensions (current configuration).
CREATE OR REPLACE VIEW queues_current AS
    SELECT * FROM queues WHERE valid_to IS NULL;
CREATE OR REPLACE VIEW agents_current AS
    SELECT * FROM agents WHERE valid_to IS NULL;
CREATE OR REPLACE VIEW queue_agents_current AS
    SELECT * FROM queue_agents WHERE valid_to IS NULL;
COMMENT ON VIEW queues_current IS 'queues: the open (current) row of each queue';
COMMENT ON VIEW agents_current IS 'agents: the open (current) row of each agent';
COMMENT ON VIEW queue_agents_current IS 'queue_agents: current memberships';
