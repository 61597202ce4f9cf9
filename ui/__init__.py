"""The Streamlit review page (ui/app.py), launched by `recap review`."""
