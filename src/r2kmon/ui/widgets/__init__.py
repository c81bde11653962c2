"""Display widgets: they take values and draw; none of them fetches anything."""
