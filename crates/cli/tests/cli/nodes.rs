//! Several `wangge serve` nodes on one PostgreSQL database.
