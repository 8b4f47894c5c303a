"""Users, organisations and their memberships, departments and staff roles, API tokens."""
