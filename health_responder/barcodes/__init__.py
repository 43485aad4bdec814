"""GS1 barcodes: reading the element strings that scanners send (GTIN, expiry, lot, serial)."""
