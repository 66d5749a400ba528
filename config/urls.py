import logging

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csp import csp_override
from django.views.generic import RedirectView

from core.rest.docs import ParleySchemaView, ParleySwaggerView

# Swagger UI draws its icons as data: images: its page alone allows them (docs/operations.md).
api_docs = csp_override({**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], "data:"]})(
    ParleySwaggerView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/", include("chat.inbox.urls")),
    path("supervisor/", include("chat.supervisor.urls")),
    path("api/v1/", include("config.api_router")),
    # Public only with API_DOCS_PUBLIC (local settings); otherwise a login is needed (core/rest/docs.py).
    path("api/schema/", ParleySchemaView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("widget/v1/", include("chat.widget.urls")),
    # The root is the agents' front door: the inbox (its login when logged out). Staff reach the admin from the
    # inbox header ("Administration") or at /admin/ (docs/decisions.md, "The root URL is the inbox").
    path("", RedirectView.as_view(pattern_name="inbox:index", permanent=False)),
]
urlpatterns += [path("admin/", admin.site.urls)]

if settings.MESSENGER_ENABLED:
    urlpatterns += [path("webhooks/messenger", include("chat.messenger.urls"))]
else:
    logging.getLogger(__name__).warning(
        "MESSENGER_ENABLED is false: the Messenger webhook (/webhooks/messenger) is not served."
    )

# No route serves MEDIA_ROOT, not even under DEBUG: a stored file leaves the server only through the download
# views, which check who asks and the file's download hours (chat.downloads.attachment_file_response).

handler404 = "core.rest.exceptions.json_not_found"
handler500 = "core.rest.exceptions.json_server_error"
