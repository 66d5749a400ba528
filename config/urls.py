from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from chat.api.docs import ParleySchemaView, ParleySwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/", include("chat.inbox.urls")),
    path("api/v1/", include("config.api_router")),
    # Public only with API_DOCS_PUBLIC (local settings); otherwise a login is needed (chat/api/docs.py).
    path("api/schema/", ParleySchemaView.as_view(), name="api-schema"),
    path("api/docs/", ParleySwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("widget/v1/", include("chat.widget.urls")),
    path("webhooks/messenger", include("chat.messenger.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
urlpatterns += [path("admin/", admin.site.urls)]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "chat.api.exceptions.json_not_found"
handler500 = "chat.api.exceptions.json_server_error"
