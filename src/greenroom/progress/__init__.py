"""Per-user progress, kept up to date as activity happens, and the progress API."""
