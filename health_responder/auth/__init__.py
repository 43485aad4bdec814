"""People and access: users, roles, API tokens, login sessions and the tenant rules."""
