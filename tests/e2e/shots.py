"""Where the browser tests save their screenshots.

A normal run writes them to a temporary folder so that running the tests leaves
the work tree clean; `PARLEY_SCREENSHOTS=1 python3 parley.py test -m browser`
refreshes the ones under docs/screenshots/ that the README shows.
"""

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = DOCS if os.environ.get("PARLEY_SCREENSHOTS") else Path(tempfile.gettempdir()) / "parley-screenshots"
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
