"""Where the data live: the one schema registry of tables and columns, the DuckDB store,
accounts and who may see what."""
