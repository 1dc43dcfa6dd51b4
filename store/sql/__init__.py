"""The store's repositories, written once over a small connection interface
(`store.sql.connection`) that each backend (store/sqlite, store/postgres) provides together
with its `Dialect`: the few places where their SQL really differs."""
