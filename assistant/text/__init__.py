"""Text utilities every stage uses: language detection, redaction, timestamps, time expressions in questions.

Their own floor, below ingest, analysis, the agent, the web app and the CLI, which all import them, and
above only settings, errors and records: none of them reads the store, a model or another stage.

  language.detect_language(text)           (primary language, languages present) by script and function words
  redact.redact(text)                      personal data -> typed placeholders ([EMAIL], [PHONE], ...)
  timeparse.parse_timestamp(value, tz=)    a timestamp in an export's many formats -> epoch seconds (UTC)
  timeparse.parse_day(value, end=, tz=)    a day a person typed -> epoch seconds (a bare date is the whole day)
  timeexpr.resolve_time(text, now, tz)     "last week", "上周", "in March" -> a TimeWindow [since, until)
"""
