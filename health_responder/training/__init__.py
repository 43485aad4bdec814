"""Training: providers' programs, cities' enrolments with fair waitlists, certificates, readiness, and the
knowledge hub of capacity-building materials."""
