"""newsdesk index: articles -> searchable index, and search over it. Never imports bot/ or discord."""
