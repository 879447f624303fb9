"""Analysis of stored feedback: sentiment, categories, entities, themes, priority, trends, effect."""
