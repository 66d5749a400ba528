"""The demo website of another origin that embeds the widget (manage.py serve_demo_host)."""

from __future__ import annotations

import urllib.request

from chat.management.commands.serve_demo_host import serve_in_thread


def test_the_demo_host_page_embeds_the_widget_with_one_script_tag():
    httpd, url = serve_in_thread(server_url="http://127.0.0.1:8000/", queue="3")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            html = response.read().decode()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert html.count("<script") == 1
    assert ('<script src="http://127.0.0.1:8000/static/widget/parley-widget.js" '
            'data-server="http://127.0.0.1:8000" data-queue="3" async></script>') in html


def test_the_demo_host_escapes_what_it_is_given():
    httpd, url = serve_in_thread(server_url="http://x", queue='"><script>alert(1)</script>')
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            html = response.read().decode()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "<script>alert(1)" not in html
