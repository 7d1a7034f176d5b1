"""A user's data as one ZIP file (GDPR access and portability): docs/partner-api.md, Exports."""
