"""Dashboards: Plotly figures built from metric queries, and the static HTML report writer."""
