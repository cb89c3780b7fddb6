"""`arraygrad.utils`: data loading."""
