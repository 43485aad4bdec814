"""Attack-surface tests: injection probes, headers, cookies, size limits, token storage, rate limits."""
