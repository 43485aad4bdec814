"""The Knowledge Hub: member city profiles, capacity-building material and webinars, open to the public."""
