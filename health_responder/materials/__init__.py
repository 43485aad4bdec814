"""The knowledge hub: capacity-building material (links and uploaded PDFs) by training topic and language."""
