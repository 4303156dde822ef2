-- Users' e-mail addresses (optional), and the outbox of notification mail: a message is
-- written in the transaction of its notification and sent by a background task, retried a
-- bounded number of times; an instance claims a message by moving its next attempt forward,
-- so of several instances one sends it.
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE mail_outbox (
    id TEXT NOT NULL PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
