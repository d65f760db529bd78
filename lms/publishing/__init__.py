"""Publishing: compiled Markdown courses into the database, all or nothing; `flask content ...`."""
