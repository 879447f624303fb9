"""Analysis commands: analyze, demands, trends, effect, report, train-classifier."""
