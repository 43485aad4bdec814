"""Training: providers' programs, cities' enrolments with fair waitlists, certificates and readiness.

The knowledge hub of capacity-building materials is its own feature, ``materials/``.
"""
