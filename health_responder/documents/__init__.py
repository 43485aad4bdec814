"""The document registry: every generated PDF, its hash and its verification code."""
