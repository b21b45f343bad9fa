"""Component-model plugins (``wit/dataflare.wit``) behind the same interface as core modules."""
