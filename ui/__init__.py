"""The Streamlit review page (ui/review.py), launched by `recap review`."""
