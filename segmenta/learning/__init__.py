"""Learn: continuing-education records, courses on the knowledge base, the case simulator,
the membrane-potential lab and patient leaflets. It sits above outcomes (it reads the
engines and the knowledge base, never the other way round)."""
