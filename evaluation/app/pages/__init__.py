"""The dashboard pages, run by the router in ``streamlit_app.py`` (not imported)."""
