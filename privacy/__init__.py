"""Privacy requests (GDPR articles 15 and 17): export everything stored about a person, or erase it, with an
audit record that keeps no personal data. docs/privacy.md."""
