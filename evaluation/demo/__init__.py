"""The fictional demo organisations: their generated packages and loading them."""
