"""Stage 5, render: templates to HTML, HTML to PDF in sandboxed workers, fonts, the leak check."""
