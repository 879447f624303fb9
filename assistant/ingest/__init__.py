"""Reading feedback files into the store: formats and encodings, column roles, cleaning, ids, the pipeline."""
