"""The contact directory: companies, their email domains, people and their phone numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from store.sql.connection import Connections, Database, Dialect
from store.rows import to_db
from store.models import Company, Contact, ContactRecord


_CONTACT_SELECT = (
    "SELECT c.id, c.email, c.name, c.company_id, co.name AS company,"
    " (SELECT {string_agg}(phone, ' ') FROM contact_phones p WHERE p.contact_id = c.id)"
    " AS phones FROM contacts c LEFT JOIN companies co ON co.id = c.company_id"
)


def _contact(row: dict[str, Any]) -> Contact:
    return Contact(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        company=row["company"],
        company_id=row["company_id"],
        phones=tuple(sorted((row["phones"] or "").split())),
    )


class Directory:
    """Looks people and companies up; imports update in place, never duplicate."""

    def __init__(self, conns: Connections, dialect: Dialect) -> None:
        self._conns = conns
        self._contact_select = _CONTACT_SELECT.format(string_agg=dialect.string_agg)
        # Upserts match on rows that may not exist yet (a company by name, a person by
        # phone or name): they take turns on one key, so two imports never both insert.
        self._lock_key = dialect.lock_key

    def _turn(self, db: Database) -> None:
        if self._lock_key:
            db.execute(self._lock_key, ["directory"])

    def upsert_company(
        self, name: str, at: datetime, domains: tuple[str, ...] = (), site: str | None = None
    ) -> tuple[int, bool]:
        """Create or update a company by name (any case); return (id, created)."""
        def work(db: Database) -> tuple[int, bool]:
            self._turn(db)
            return self._upsert_company(db, name, at, domains, site)

        return self._conns.write(work)

    @staticmethod
    def _upsert_company(
        db: Database, name: str, at: datetime, domains: tuple[str, ...], site: str | None
    ) -> tuple[int, bool]:
        rows = list(db.query("SELECT id FROM companies WHERE name = ?", [name]))
        if rows:
            company_id, created = int(rows[0]["id"]), False
            db.execute(
                "UPDATE companies SET site = coalesce(?, site), updated_at = ? WHERE id = ?",
                [site, to_db(at), company_id],
            )
        else:
            company_id = int(db.insert(
                "INSERT INTO companies (name, site, created_at, updated_at) VALUES (?, ?, ?, ?)",
                [name, site, to_db(at), to_db(at)],
            ) or 0)
            created = True
        for domain in domains:
            # A domain belongs to one company; the newest import wins.
            db.execute(
                "INSERT INTO company_domains (domain, company_id) VALUES (?, ?)"
                " ON CONFLICT(domain) DO UPDATE SET company_id = excluded.company_id",
                [domain.lower(), company_id],
            )
        return company_id, created

    def upsert_contact(self, record: ContactRecord, at: datetime) -> tuple[int, bool]:
        """Create or update a person, matched by email, else by phone, else by name and
        company; return (id, created)."""

        def work(db: Database) -> tuple[int, bool]:
            self._turn(db)
            company_id = None
            if record.company:
                company_id, _ = self._upsert_company(db, record.company, at, (), None)
            contact_id = self._match(db, record, company_id)
            if contact_id is None:
                contact_id = int(db.insert(
                    "INSERT INTO contacts (email, name, company_id, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [record.email, record.name, company_id, to_db(at), to_db(at)],
                ) or 0)
                created = True
            else:
                db.execute(
                    "UPDATE contacts SET email = coalesce(?, email), name = coalesce(?, name),"
                    " company_id = coalesce(?, company_id), updated_at = ? WHERE id = ?",
                    [record.email, record.name, company_id, to_db(at), contact_id],
                )
                created = False
            for phone in record.phones:
                db.execute(
                    "INSERT INTO contact_phones (phone, contact_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [phone, contact_id],
                )
            return contact_id, created

        return self._conns.write(work)

    @staticmethod
    def _match(db: Database, record: ContactRecord, company_id: int | None) -> int | None:
        if record.email:
            rows = list(db.query("SELECT id FROM contacts WHERE email = ?", [record.email]))
            return int(rows[0]["id"]) if rows else None
        for phone in record.phones:
            rows = list(
                db.query("SELECT contact_id FROM contact_phones WHERE phone = ?", [phone])
            )
            if rows:
                return int(rows[0]["contact_id"])
        if record.name:
            rows = list(
                db.query(
                    "SELECT id FROM contacts WHERE email IS NULL AND name = ? COLLATE NOCASE"
                    " AND company_id IS NOT DISTINCT FROM ?",
                    [record.name, company_id],
                )
            )
            return int(rows[0]["id"]) if rows else None
        return None

    def by_email(self, email: str) -> Contact | None:
        """The person with this address (any case)."""
        with self._conns.reading() as db:
            rows = list(db.query(f"{self._contact_select} WHERE c.email = ?", [email]))
        return _contact(rows[0]) if rows else None

    def by_phone(self, phone: str) -> list[Contact]:
        """Everyone who answers at this E.164 number."""
        with self._conns.reading() as db:
            rows = db.query(
                f"{self._contact_select} WHERE c.id IN"
                " (SELECT contact_id FROM contact_phones WHERE phone = ?) ORDER BY c.id",
                [phone],
            )
            return [_contact(row) for row in rows]

    def company_for_domain(self, domain: str) -> Company | None:
        """The company that owns an email domain (or a parent domain of it)."""
        labels = domain.lower().strip(".").split(".")
        candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
        with self._conns.reading() as db:
            for candidate in candidates:
                rows = list(
                    db.query(
                        "SELECT company_id FROM company_domains WHERE domain = ?", [candidate]
                    )
                )
                if rows:
                    return self._company(db, int(rows[0]["company_id"]))
        return None

    def companies(self) -> list[Company]:
        """Every company, by name."""
        with self._conns.reading() as db:
            ids = [row["id"] for row in db.query("SELECT id FROM companies ORDER BY name")]
            return [self._company(db, company_id) for company_id in ids]

    def contacts(self) -> list[Contact]:
        """Every person, by name."""
        with self._conns.reading() as db:
            rows = db.query(f"{self._contact_select} ORDER BY c.name, c.id")
            return [_contact(row) for row in rows]

    @staticmethod
    def _company(db: Database, company_id: int) -> Company:
        row = next(db.query("SELECT * FROM companies WHERE id = ?", [company_id]))
        domains = tuple(
            r["domain"]
            for r in db.query(
                "SELECT domain FROM company_domains WHERE company_id = ? ORDER BY domain",
                [company_id],
            )
        )
        return Company(id=row["id"], name=row["name"], site=row["site"], domains=domains)
