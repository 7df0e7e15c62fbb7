"""Discord front end: glue (client, tree, commands, views) around pure rendering and storage."""
