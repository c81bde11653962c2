"""The eight views of the main screen, one module each; each draws only while shown."""
