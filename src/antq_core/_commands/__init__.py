"""Subcommands of ``antq``: one module each, with ``register(commands)``.

``register`` adds the subcommand's parser to the ``argparse`` subparsers and
sets its ``run`` default: a function from the parsed arguments to the exit
code. :mod:`antq_core._cli` lists the modules in :data:`COMMANDS`.
"""
