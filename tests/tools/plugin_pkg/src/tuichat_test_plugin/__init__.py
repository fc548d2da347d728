"""Tools offered to tuichat through the `tuichat.tools` entry-point group (test plugin)."""


def shout(text: str) -> str:
    """Return the text in capitals.

    Args:
        text: What to shout.
    """
    print("shouting!")  # must not reach the terminal
    return text.upper()


def plugin_reverse(text: str) -> str:
    """Return the text reversed.

    Args:
        text: What to reverse.
    """
    return text[::-1]


async def plugin_length(text: str) -> int:
    """Return the length of the text.

    Args:
        text: What to measure.
    """
    return len(text)


PAIR = [plugin_reverse, plugin_length]
