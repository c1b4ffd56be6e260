"""Read models built from the event log (progress, competency, social, KPIs)."""
