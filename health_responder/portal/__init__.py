"""The data portal: statistics for the association's members, as tables, SVG charts and CSV."""
