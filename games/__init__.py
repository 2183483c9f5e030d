"""Quiz games: question banks and self-paced rounds (``quiz``), live hosted
games (``live``), scoring shared by both, and the question commands (``cli``)."""
