"""The DDL of the numbered migrations (store/sqlite/schema.py), one constant each."""

M0001 = """
        CREATE TABLE companies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            site TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE company_domains (
            domain TEXT PRIMARY KEY COLLATE NOCASE,
            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE
        );
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT UNIQUE COLLATE NOCASE,
            name TEXT,
            company_id INTEGER REFERENCES companies(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE contact_phones (
            phone TEXT NOT NULL,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            PRIMARY KEY (phone, contact_id)
        );
        CREATE INDEX contact_phones_contact ON contact_phones(contact_id);
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO counters (name, value) VALUES ('ticket', 0);
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            number TEXT NOT NULL UNIQUE COLLATE NOCASE,
            channel TEXT NOT NULL,
            route TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
            requester_name TEXT,
            company TEXT,
            callback_numbers TEXT NOT NULL DEFAULT '[]',
            email TEXT,
            subject TEXT,
            description TEXT,
            line TEXT,
            contact_id INTEGER REFERENCES contacts(id),
            source_id TEXT,
            received_at TEXT NOT NULL,
            after_hours INTEGER NOT NULL DEFAULT 0,
            first_response_due TEXT,
            resolution_due TEXT,
            flags TEXT NOT NULL DEFAULT '[]',
            field_sources TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX tickets_queue ON tickets(status, priority, received_at, id);
        CREATE UNIQUE INDEX tickets_source ON tickets(channel, source_id)
            WHERE source_id IS NOT NULL;
        CREATE TABLE ticket_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT,
            detail TEXT NOT NULL DEFAULT '{}',
            dedupe_key TEXT UNIQUE
        );
        CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id)
        """


M0002 = """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            source TEXT NOT NULL,
            source_id TEXT,
            received_at TEXT NOT NULL,
            sha256 TEXT,
            size INTEGER NOT NULL DEFAULT 0,
            raw BLOB,
            params TEXT,
            outcome TEXT,
            reason TEXT,
            ticket_id INTEGER REFERENCES tickets(id)
        );
        CREATE INDEX messages_source_id ON messages(channel, source_id);
        CREATE INDEX messages_sha256 ON messages(sha256);
        CREATE TABLE rejections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_row INTEGER NOT NULL REFERENCES messages(id),
            message_id TEXT,
            sender TEXT,
            missing TEXT NOT NULL DEFAULT '[]',
            reason TEXT,
            received_at TEXT NOT NULL,
            reply_message_id TEXT,
            resolved_ticket_id INTEGER REFERENCES tickets(id),
            resolved_at TEXT
        );
        CREATE INDEX rejections_sender ON rejections(sender, received_at);
        CREATE INDEX rejections_reply ON rejections(reply_message_id);
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            result TEXT
        )
        """


M0003 = """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            recipient TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            ticket_id INTEGER REFERENCES tickets(id),
            dedupe_key TEXT UNIQUE,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            last_error TEXT,
            response TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_due ON outbox(status, next_try_at);
        CREATE TABLE poller_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """


M0006 = """
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            key TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL,
            priority INTEGER NOT NULL,
            payload TEXT NOT NULL,
            step INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'open',
            next_at TEXT,
            lease_until TEXT,
            acked_by TEXT,
            acked_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX pages_due ON pages(status, next_at);
        CREATE INDEX pages_ticket ON pages(ticket_id);
        CREATE TABLE page_notices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            step INTEGER NOT NULL,
            engineer TEXT NOT NULL,
            mobile TEXT,
            outbox_id INTEGER UNIQUE,
            sid TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX page_notices_engineer ON page_notices(engineer, id);
        CREATE INDEX page_notices_sid ON page_notices(sid);
        CREATE TABLE tier_clocks (
            ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
            level INTEGER NOT NULL,
            due_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX tier_clocks_due ON tier_clocks(due_at)
        """


M0007 = """
        ALTER TABLE tickets ADD COLUMN assignee TEXT;
        ALTER TABLE tickets ADD COLUMN level INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE tickets ADD COLUMN triaged_at TEXT;
        ALTER TABLE tickets ADD COLUMN first_response_at TEXT;
        ALTER TABLE tickets ADD COLUMN resolution TEXT;
        ALTER TABLE tickets ADD COLUMN resolved_at TEXT;
        CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE surveys (
            token_hash TEXT PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            created_at TEXT NOT NULL,
            answered_at TEXT,
            answer INTEGER
        );
        CREATE TABLE portal_links (
            company TEXT PRIMARY KEY COLLATE NOCASE,
            secret TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE rate_hits (
            key TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX rate_hits_key ON rate_hits(key, at)
        """


M0008 = """
        CREATE TABLE pending_messages (
            message_row INTEGER PRIMARY KEY REFERENCES messages(id),
            recipients TEXT NOT NULL DEFAULT '[]',
            queued_at TEXT NOT NULL,
            claimed_by TEXT,
            lease_until TEXT,
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX pending_messages_lease ON pending_messages(lease_until)
        """

M0009 = """
        CREATE TABLE cluster_nodes (
            node TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            backend TEXT NOT NULL,
            singletons TEXT NOT NULL DEFAULT '[]',
            pending_lag_seconds REAL
        );
        ALTER TABLE tier_clocks ADD COLUMN lease_until TEXT
        """
