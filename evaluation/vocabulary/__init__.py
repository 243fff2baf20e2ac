"""The words of the platform, declared once: split columns, indicator kinds and groups, roles,
and how each code, number and period reads for a person."""
