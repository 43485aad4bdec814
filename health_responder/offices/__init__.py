"""Regional offices of the association: one or more per network, with the member cities they serve."""
