-- The durable watch list (PostgreSQL). Times are Unix milliseconds of the workers' clocks.
CREATE TABLE tasks (
    id             BIGSERIAL PRIMARY KEY,
    source         TEXT    NOT NULL,           -- the registry name of the source
    spec           TEXT    NOT NULL,           -- JSON SourceSpec: how to rebuild the source (no secret)
    task_id        TEXT    NOT NULL,
    state          TEXT    NOT NULL,           -- JSON TaskState as of the last saved poll
    attempts       BIGINT  NOT NULL DEFAULT 0,
    first_seen_ms  BIGINT  NOT NULL,
    next_poll_ms   BIGINT  NOT NULL,
    lease_owner    TEXT,
    lease_until_ms BIGINT,
    lease_epoch    BIGINT  NOT NULL DEFAULT 0, -- bumped by every claim; fences later writes
    done           BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (source, task_id)
);
-- One partial index per half of the claim's WHERE (underway's dequeue).
CREATE INDEX tasks_unleased ON tasks (next_poll_ms) WHERE NOT done AND lease_owner IS NULL;
CREATE INDEX tasks_leased ON tasks (lease_until_ms) WHERE NOT done AND lease_owner IS NOT NULL;
CREATE INDEX tasks_owner ON tasks (lease_owner) WHERE NOT done;

CREATE TABLE outcomes (
    id               BIGSERIAL PRIMARY KEY,
    source           TEXT   NOT NULL,
    task_id          TEXT   NOT NULL,
    kind             TEXT   NOT NULL,
    report           TEXT   NOT NULL,         -- JSON
    finished_ms      BIGINT NOT NULL,
    deliver_owner    TEXT,
    deliver_until_ms BIGINT,
    acked_ms         BIGINT,
    UNIQUE (source, task_id)
);
CREATE INDEX outcomes_unacked ON outcomes (id) WHERE acked_ms IS NULL;

CREATE TABLE workers (
    name         TEXT   PRIMARY KEY,
    heartbeat_ms BIGINT NOT NULL
);

CREATE TABLE learned (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT   NOT NULL,
    phase       TEXT   NOT NULL,
    running_ms  BIGINT,
    final_ms    BIGINT NOT NULL
);
CREATE INDEX learned_key ON learned (key, id);
