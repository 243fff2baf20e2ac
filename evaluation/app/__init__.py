"""The dashboard: Streamlit pages that call the package and draw what it returns.

``streamlit_app.py`` at the repository root is the router; the pages live in ``pages/``. The
modules here hold only what the pages share: the cached store (``state``), the signed-in
user's scope (``session``), how problems and errors are shown (``render``) and the files the
pages hand out or take in (``files``).
"""
