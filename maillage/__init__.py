"""Maillage: an open-source platform for running an election campaign."""
