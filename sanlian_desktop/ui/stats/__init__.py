"""统计: the pilot's targets region by region, rankings, the declaration pipeline, charts and exports."""
