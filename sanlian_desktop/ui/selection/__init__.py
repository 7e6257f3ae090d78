"""The 遴选 page: the province selects projects within the batch's quotas and budget."""
