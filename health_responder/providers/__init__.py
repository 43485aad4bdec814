"""Solution providers and their stock locations (warehouses)."""
