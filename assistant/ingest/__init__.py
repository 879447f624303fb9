"""Reading, cleaning and storing feedback."""
