"""The practice application under /members/: lessons, practice interviews, recordings."""
