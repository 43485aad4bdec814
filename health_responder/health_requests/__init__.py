"""Assistance requests from member cities, their lines and the allocations that serve them."""
