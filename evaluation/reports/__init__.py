"""Funder-ready reports: templates as data, one report model, four formats.

``spec`` loads and validates the templates (``indicators/templates/*.yaml``); ``model`` builds a
``Report`` from the engine's results; ``xlsx``, ``docx``, ``html`` and ``pdf`` write it;
``pack`` writes a programme's pack (or every programme's) and zips it for a download.
"""
