"""`python -m blog`: see blog/commands.py."""

from blog.commands import main

main()
