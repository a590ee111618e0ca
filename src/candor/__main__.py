"""``python -m candor``."""

from candor.cli import main

if __name__ == "__main__":
    main()
