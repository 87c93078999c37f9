"""One module per ``sm-studio`` subcommand, each with ``register(subparsers)``; see ``sm_studio.cli``."""
