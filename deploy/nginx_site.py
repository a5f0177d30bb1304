"""Write the nginx site for the help center from deploy/nginx/helpcenter.conf.

    python deploy/nginx_site.py --site-dir /srv/helpcenter/site --server-name help.example.com \
        > /etc/nginx/sites-available/helpcenter

nginx then sends the site's pages with the headers the service sends with them today, the
Content-Security-Policy included, which allows the built pages' inline scripts by their hashes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from lookup.web.security import content_security_policy
from lookup.web.security import inline_script_hashes

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "helpcenter.conf"
FIELD = re.compile(r"@([A-Z_]+)@")


def site_script_hashes(site_dir: Path) -> tuple[str, ...]:
    """The hashes of every inline script of every built page (they vary with the page depth)."""
    hashes = {h for page in site_dir.rglob("*.html") for h in inline_script_hashes(page)}
    return tuple(sorted(hashes))


def security_headers(site_dir: Path) -> list[str]:
    """nginx add_header lines with the service's headers for the built site's pages and files."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": content_security_policy(site_script_hashes(site_dir)),
    }
    return [f'add_header {name} "{value}" always;' for name, value in headers.items()]


def render(site_dir: Path, listen: str, server_name: str, upstream: str,
           template: str | None = None) -> str:
    """The nginx site with every @FIELD@ filled in; an unknown field is an error."""
    if not (site_dir / "index.html").is_file():
        raise SystemExit(f"no built site in {site_dir}: run `helpcenter build` first")
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template
    values = {"SITE_DIR": str(site_dir.resolve()), "LISTEN": listen, "SERVER_NAME": server_name,
              "UPSTREAM": upstream}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "SECURITY_HEADERS":
            indent = " " * (match.start() - text.rfind("\n", 0, match.start()) - 1)
            return ("\n" + indent).join(security_headers(site_dir))
        if name not in values:
            raise SystemExit(f"{TEMPLATE.name}: unknown field @{name}@")
        return values[name]

    return FIELD.sub(fill, text)


def main(argv: list[str] | None = None) -> None:
    """Print the nginx site for the given built site and service address."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", type=Path, default=Path("site"),
                        help="the built site nginx serves (default: site)")
    parser.add_argument("--listen", default="80", help="nginx's listen argument (default: 80)")
    parser.add_argument("--server-name", default="_", help="the site's host name (default: any)")
    parser.add_argument("--upstream", default="127.0.0.1:8000",
                        help="where gunicorn listens (default: 127.0.0.1:8000)")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.site_dir, args.listen, args.server_name, args.upstream))


if __name__ == "__main__":
    main()
