"""Reference data: regional networks, member cities, the equipment catalogue and training topics."""
