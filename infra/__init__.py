"""Infrastructure, the bottom floor: the database and its transactions, settings, locking,
migrations, rate counters, wake-ups across processes, and the web helpers every web
adapter shares. Imports nothing of the application above it."""
