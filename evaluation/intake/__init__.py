"""A data package on its way in: opened, staged, validated, checked for personal data, loaded."""
