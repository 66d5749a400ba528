"""Serve a demo website of another origin (default port 8001) that embeds the
chat widget with its one script tag, as a company's website would.

    manage.py serve_demo_host --port 8001 --server http://127.0.0.1:8000 --queue Sales

``parley.py start`` runs it next to the web server. The page is plain HTML
served by the standard library's http.server; nothing of Django runs in it.
"""

from __future__ import annotations

import html
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand

from chat.models import Queue

PAGE = """<!doctype html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kwiaciarnia R&oacute;&zdot;a &ndash; demo website</title>
<style>
  /* The host page's own, deliberately aggressive styles: the widget must not inherit them. */
  * {{ box-sizing: border-box; }}
  body {{ margin: 0; font: 18px/1.6 Georgia, serif; color: #3b2f2f; background: #fdf6ee; }}
  button {{ background: #ff00aa !important; color: yellow; font-size: 30px; border: 5px dashed lime; }}
  input, textarea {{ border: 4px solid red; font-size: 28px; }}
  div {{ letter-spacing: .2em; }}
  header {{ background: #7a1f3d; color: #fff; padding: 28px 48px; }}
  header h1 {{ margin: 0; font-size: 34px; }}
  main {{ max-width: 860px; margin: 0 auto; padding: 32px 48px 120px; }}
  .cards {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 18px; letter-spacing: normal; }}
  .card {{ background: #fff; border-radius: 10px; padding: 18px; box-shadow: 0 2px 10px rgba(0,0,0,.08); }}
  nav a {{ color: #fff; margin-right: 18px; }}
  /* A phone (390 px): one column and narrower margins, so nothing is wider than the screen; a wider page makes
     the browser zoom out and the widget's launcher (fixed at the viewport's corner) lands off-screen. */
  @media (max-width: 600px) {{
    header {{ padding: 18px 20px; }}
    header h1 {{ font-size: 26px; }}
    main {{ padding: 20px 20px 110px; }}
    .cards {{ grid-template-columns: 1fr; }}
    button {{ max-width: 100%; white-space: normal; }}
  }}
</style>
</head>
<body>
<header>
  <h1>Kwiaciarnia R&oacute;&zdot;a</h1>
  <nav><a href="/">Start</a><a href="/?page=oferta">Oferta</a><a href="/?page=kontakt">Kontakt</a></nav>
</header>
<main>
  <p>Demo website of another origin, served by <code>manage.py serve_demo_host</code>. It embeds the
  Parley chat widget with one script tag, the way a company's website would: open the chat with the
  button in the corner. (The page's own CSS is deliberately loud; the widget is not touched by it.)</p>
  <div class="cards">
    <div class="card"><h3>Bukiety</h3><p>&Sacute;wie&zdot;e kwiaty codziennie rano.</p></div>
    <div class="card"><h3>&Sacute;luby</h3><p>Dekoracje na wielki dzie&nacute;.</p></div>
    <div class="card"><h3>Dostawa</h3><p>Tego samego dnia w ca&lstrok;ym mie&sacute;cie.</p></div>
  </div>
  <p><button type="button">Przycisk strony</button></p>
</main>
<script src="{server}/static/widget/parley-widget.js" data-server="{server}" data-queue="{queue}" async></script>
</body>
</html>
"""


def render_page(*, server: str, queue: str) -> bytes:
    server = server.rstrip("/")
    return PAGE.format(server=html.escape(server, quote=True), queue=html.escape(queue, quote=True)).encode()


def make_server(*, host: str, port: int, server_url: str, queue: str) -> ThreadingHTTPServer:
    body = render_page(server=server_url, queue=queue)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            if self.path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            if self.path.split("?", 1)[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - quiet
            return

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(*, host: str = "127.0.0.1", port: int = 0, server_url: str, queue: str):
    """Start the demo host in a daemon thread (tests); returns (server, url)."""
    httpd = make_server(host=host, port=port, server_url=server_url, queue=queue)
    thread = threading.Thread(target=httpd.serve_forever, name="demo-host", daemon=True)
    thread.start()
    return httpd, f"http://{host}:{httpd.server_address[1]}/"


class Command(BaseCommand):
    help = "Serve a demo website of another origin that embeds the chat widget."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--server", default="", help="Parley's URL (default http://127.0.0.1:$PARLEY_PORT)")
        parser.add_argument("--queue", default="", help="queue id (default: the first active queue)")

    def handle(self, *args, **options):
        server_url = options["server"] or f"http://127.0.0.1:{os.environ.get('PARLEY_PORT', '8000')}"
        queue = options["queue"]
        if not queue:
            first = Queue.objects.filter(active=True).order_by("id").first()
            queue = str(first.pk) if first else ""
        httpd = make_server(host=options["host"], port=options["port"], server_url=server_url, queue=queue)
        self.stdout.write(f"demo website on http://{options['host']}:{options['port']}/ (widget from {server_url})")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
