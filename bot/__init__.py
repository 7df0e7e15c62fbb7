"""newsdesk: everything a person talks to (CLI, REPL, Discord). Depends on index/, never the reverse."""
