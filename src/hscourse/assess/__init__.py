"""Assessment stages beside the build: review items, grade responses, analyse items, read scans."""
