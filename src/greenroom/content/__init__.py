"""Learning content: modules of lessons and question sets (docs/partner-api.md, What progress
counts)."""
