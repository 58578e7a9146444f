"""Imports of people files: presets (REU, e-listelec, generic), reading, writing in sets."""
