"""Reading feedback files: formats and encodings, column roles, and timestamps."""
