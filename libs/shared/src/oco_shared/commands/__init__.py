"""`oco` commands that speak to the broker as one of its parties: `rehearse`, `portal`.

Each module registers its parser with imports of argparse only; the NATS client and the
contract load when a command runs, so `oco --help` stays fast.
"""
