from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/", include("chat.inbox.urls")),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("widget/v1/", include("chat.widget.urls")),
    path("webhooks/messenger", include("chat.messenger.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
urlpatterns += [path("admin/", admin.site.urls)]

# No route serves MEDIA_ROOT, not even under DEBUG: a stored file leaves the server only through the download
# views, which check who asks and the file's download hours (chat.downloads.attachment_file_response).

handler404 = "chat.api.exceptions.json_not_found"
handler500 = "chat.api.exceptions.json_server_error"
