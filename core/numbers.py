"""Numbers written for people and links: as short as possible, yet exact."""


def exact_text(value: float) -> str:
    """The shortest text that reads back as exactly `value`: 0.01 not 0.01000, 1 not 1.0."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))
