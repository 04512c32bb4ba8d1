"""The book-club database: its four models, the seed data, fresh databases on SQLite or PostgreSQL."""
