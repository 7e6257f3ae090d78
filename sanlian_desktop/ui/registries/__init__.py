"""The 台账 page: community social organisations, social workers, community and pilot-area facts."""
