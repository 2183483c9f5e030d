"""Badge tokens: randomness, format and the check symbol."""
from kiosk import tokens


def test_token_shape():
    token = tokens.new_token()
    assert len(token) == tokens.TOKEN_LENGTH == 18
    assert tokens.is_valid(token)
    assert len({tokens.new_token() for _ in range(1000)}) == 1000


def test_every_single_character_change_is_rejected():
    """Exhaustive for one token: every position, every other symbol."""
    token = tokens.new_token()
    symbols = set(tokens.CHECK_SYMBOLS) | set(tokens.ALPHABET) | set("ILO")
    changed = 0
    for position in range(len(token)):
        for symbol in symbols:
            if symbol == token[position]:
                continue
            mangled = token[:position] + symbol + token[position + 1:]
            assert not tokens.is_valid(tokens.extract(mangled)), mangled
            changed += 1
    assert changed == len(token) * (len(symbols) - 1)


def test_adjacent_transpositions_are_rejected():
    token = tokens.new_token()
    for i in range(len(token) - 2):
        swapped = token[:i] + token[i + 1] + token[i] + token[i + 2:]
        if swapped != token:
            assert not tokens.is_valid(swapped)


def test_case_insensitive_and_urls_and_groups():
    token = tokens.new_token()
    assert tokens.extract(token.lower()) == token
    assert tokens.extract(f"http://192.168.1.10:8000/b/{token}") == token
    assert tokens.extract(f"https://hub.local/b/{token.lower()}/?from=qr#x") == token
    assert tokens.extract(tokens.pretty(token)) == token
    assert tokens.extract(f"  {token}\n") == token


def test_wrong_lengths_and_garbage():
    for text in ["", "ABC", "X" * 18, "Ä" * 18, "😀" * 18, tokens.new_token() + "0"]:
        assert not tokens.is_valid(tokens.extract(text))
