"""Stage 6, export: the resolved course in other formats (data, LMS question banks)."""
