"""`arraygrad.optim`: optimizers and learning-rate schedulers."""
