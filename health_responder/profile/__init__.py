"""Every user's own profile page: name, language, password change, API tokens (auth's services)."""
