"""Transform: dbt builds the warehouse marts from whatever raw data is in the data dir."""
