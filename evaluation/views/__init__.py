"""What pages and reports show: overview, explorer, comparison, charts and safe files."""
