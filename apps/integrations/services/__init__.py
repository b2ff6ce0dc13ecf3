"""Integration writes, split by subdomain: keys and apps (`keys`), event ingestion (`events`)."""
