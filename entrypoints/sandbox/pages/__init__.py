"""HTML pages and scripts the sandbox serves to a browser, and their renderers."""
