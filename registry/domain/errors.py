"""The error every write in the domain raises when a change breaks a rule."""


class ValidationError(Exception):
    """A change broke a rule; `errors` maps field names to messages ("__all__": not one field's)."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
