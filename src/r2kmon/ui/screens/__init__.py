"""One screen per view; each draws from the latest hub snapshot only while it is shown."""
