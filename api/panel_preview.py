"""``ridebuy panel-preview ID``: show a display panel in an ordinary browser window, for setting it up.

The preview is the kiosk page itself with ``?size=WxH``: the panel laid out for that screen, scaled to fit the
window. The command checks that the API answers and knows the panel, prints the URL and opens the browser.
"""

from __future__ import annotations

import argparse
import re
import sys
import webbrowser
from urllib.parse import quote

import httpx

from ridebuy.shared.commands import Command
from ridebuy.shared.settings import SettingsBase

SIZES = ("1920x1080", "1080x1920", "800x480")
_SIZE = re.compile(r"^\d{2,5}x\d{2,5}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("panel", metavar="PANEL_ID", help="id of a panel of the registry the API serves")
    parser.add_argument(
        "--api-url", default="http://127.0.0.1:8000", help="where ridebuy api answers [default: %(default)s]"
    )
    parser.add_argument(
        "--size",
        default=SIZES[0],
        help=f"screen size to lay the panel out for, WIDTHxHEIGHT ({', '.join(SIZES)}...) [default: %(default)s]",
    )
    parser.add_argument("--no-browser", action="store_true", help="only check and print the URL")


def preview_url(api_url: str, panel_id: str, size: str) -> str:
    return f"{api_url.rstrip('/')}/panel/{quote(panel_id, safe='')}?size={size}"


def run_panel_preview(args: argparse.Namespace, settings: SettingsBase) -> int:
    if not _SIZE.match(args.size):
        print(f"ridebuy panel-preview: --size must look like 1920x1080, not '{args.size}'", file=sys.stderr)
        return 2
    api_url = args.api_url.rstrip("/")
    try:
        answer = httpx.get(f"{api_url}/v1/panels/{quote(args.panel, safe='')}", timeout=10.0)
    except httpx.HTTPError as exc:
        print(
            f"ridebuy panel-preview: the API at {api_url} does not answer ({exc}); is `ridebuy api` running?",
            file=sys.stderr,
        )
        return 2
    if answer.status_code == 404:
        print(
            f"ridebuy panel-preview: the registry of the API at {api_url} has no panel '{args.panel}'", file=sys.stderr
        )
        return 2
    if answer.status_code != 200:
        print(f"ridebuy panel-preview: {api_url} answered HTTP {answer.status_code}", file=sys.stderr)
        return 2
    url = preview_url(api_url, args.panel, args.size)
    print(url)
    if not args.no_browser and not webbrowser.open(url):
        print("ridebuy panel-preview: no browser could be started here; open the URL above", file=sys.stderr)
    return 0


COMMAND = Command(
    name="panel-preview",
    help="show a display panel in a browser window, for setting it up",
    settings=SettingsBase,
    run=run_panel_preview,
    add_arguments=add_arguments,
)
