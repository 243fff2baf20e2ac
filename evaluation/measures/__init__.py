"""The agreed indicators: the catalogue, compiled to SQL and computed for any periods and splits."""
