"""Dashboard statistics: aggregates computed in SQL, daily bucket snapshots for roll rates."""
