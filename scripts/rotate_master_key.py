"""`python -m scripts.rotate_master_key`: re-seal every stored provider key under a new master key.

    python -m scripts.rotate_master_key --generate
        print a new master key (base64 of 32 random bytes)

    OLD_MASTER_KEY=... NEW_MASTER_KEY=... python -m scripts.rotate_master_key
        re-seal all keys in the configured database, then set MASTER_KEY to the new value

Keys are read from environment variables, never from the command line (shell history and
the process list would keep them). The rotation is one transaction: it either re-seals
every key or changes nothing. Afterwards the old master key no longer opens anything.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from core.adapters.crypto import generate_master_key
from core.adapters.db.database import Database
from core.config import get_settings
from core.errors import StudioError
from core.services.connections.keys import rotate_master_key

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", action="store_true", help="print a new master key and exit")
    parser.add_argument("--old-env", default="OLD_MASTER_KEY", help="variable holding the current master key")
    parser.add_argument("--new-env", default="NEW_MASTER_KEY", help="variable holding the new master key")
    args = parser.parse_args(argv)
    if args.generate:
        print(generate_master_key())
        return 0
    old, new = os.environ.get(args.old_env, ""), os.environ.get(args.new_env, "")
    if not old or not new:
        print(f"Set {args.old_env} and {args.new_env} (base64 master keys) in the environment.", file=sys.stderr)
        return 2
    db = Database(get_settings().effective_database_url)
    try:
        db.migrate()
        count = rotate_master_key(db, old, new)
    except StudioError as exc:
        print(f"Rotation stopped, nothing changed: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"Re-sealed {count} provider key(s). Now set MASTER_KEY to the new key and restart the studio and workers.")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
