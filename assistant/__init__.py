"""Customer Demand Assistant: self-hosted analysis of English and Chinese customer feedback."""

__version__ = "0.1.0"
