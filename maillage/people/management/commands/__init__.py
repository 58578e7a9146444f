"""`maillage import_people`, `maillage generate_roll`."""
