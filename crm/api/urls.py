"""The CRM's REST routes (mounted under /api/v1/ by config.api_router). A customer's chats
(``customers/{id}/chats/``) are chats: chat.api serves them."""

from django.urls import path

from crm.api import views

app_name = "crm_api"
urlpatterns: list = [
    path("customers/", views.CustomerListApi.as_view(), name="customer-list"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="customer-detail"),
]
