"""Assessment: red-flag screening and interference-field tracing (engine and views)."""
