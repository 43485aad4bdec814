"""Allocation: reserving providers' stock for request lines, by hand and by the auto_allocate check."""
