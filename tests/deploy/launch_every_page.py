"""Run inside a venv built from requirements.txt alone, as Streamlit Community Cloud would:
start app.py on an empty data folder (it migrates and seeds itself), then open every page.

Prints one line per page and exits non-zero if any page raised. Uses only what
requirements.txt installs (no pytest, no test fixtures).
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `streamlit run app.py` puts the app's folder on the path; so do we


def main() -> int:
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    failures = [f"app.py: {at.exception}"] if at.exception else []
    for page in pages:
        at.switch_page(page).run()
        status = f"FAILED {at.exception}" if at.exception else "ok"
        print(f"{page}: {status}", flush=True)
        if at.exception:
            failures.append(page)
    print(f"{len(pages) - len(failures)} pages opened, {len(failures)} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
