"""The student web edition (build) and the live preview server (serve)."""
