-- The durable watch list (SQLite). Times are Unix milliseconds of the workers' clocks.
CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    source         TEXT    NOT NULL,           -- the registry name of the source
    spec           TEXT    NOT NULL,           -- JSON SourceSpec: how to rebuild the source (no secret)
    task_id        TEXT    NOT NULL,
    state          TEXT    NOT NULL,           -- JSON TaskState as of the last saved poll
    attempts       INTEGER NOT NULL DEFAULT 0,
    first_seen_ms  INTEGER NOT NULL,
    next_poll_ms   INTEGER NOT NULL,
    lease_owner    TEXT,
    lease_until_ms INTEGER,
    lease_epoch    INTEGER NOT NULL DEFAULT 0, -- bumped by every claim; fences later writes
    done           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, task_id)
);
CREATE INDEX tasks_claimable ON tasks (next_poll_ms) WHERE done = 0;
CREATE INDEX tasks_owner ON tasks (lease_owner) WHERE done = 0;

CREATE TABLE outcomes (
    id               INTEGER PRIMARY KEY,
    source           TEXT    NOT NULL,
    task_id          TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    report           TEXT    NOT NULL,         -- JSON
    finished_ms      INTEGER NOT NULL,
    deliver_owner    TEXT,
    deliver_until_ms INTEGER,
    acked_ms         INTEGER,
    UNIQUE (source, task_id)
);
CREATE INDEX outcomes_unacked ON outcomes (id) WHERE acked_ms IS NULL;

CREATE TABLE workers (
    name         TEXT    PRIMARY KEY,
    heartbeat_ms INTEGER NOT NULL
);

CREATE TABLE learned (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL,
    phase       TEXT    NOT NULL,
    running_ms  INTEGER,
    final_ms    INTEGER NOT NULL
);
CREATE INDEX learned_key ON learned (key, id);
