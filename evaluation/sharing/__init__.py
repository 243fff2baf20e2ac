"""What may leave the organisation: small-number protection over everything shared."""
