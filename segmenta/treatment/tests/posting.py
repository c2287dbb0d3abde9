"""What a browser posts from the session page, whose forms each carry a prefix (so that no
two inputs on the page share an id)."""


def form_data(prefix, data):
    """``data`` as the form with ``prefix`` posts it; ``action`` is the pressed button's name."""
    return {key if key == "action" else f"{prefix}-{key}": value for key, value in data.items()}
