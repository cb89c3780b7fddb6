"""`arraygrad.nn`: layers, losses and initializers."""
