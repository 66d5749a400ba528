"""The CRM's REST API: customers. Staff read every customer; an agent the ones he owns and those
verified-linked to a chat he may see (crm/api/selectors.py). Writes call the CRM services."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest.serializers import ErrorOutput
from crm.api.selectors import customer_get_for, customer_list
from crm.api.serializers import CustomerInput, CustomerOutput
from crm.services import customer_create, customer_update


class CustomerListApi(GenericAPIView):
    serializer_class = CustomerOutput

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                  help_text="Search in name, e-mail and phone.")

    @extend_schema(
        tags=["customers"],
        operation_id="customers_list",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="Search in name, e-mail and phone.")],
        responses=CustomerOutput(many=True),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customers = customer_list(user=request.user, q=filters.validated_data.get("q", ""))
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(CustomerOutput(page, many=True).data)

    @extend_schema(
        tags=["customers"],
        operation_id="customers_create",
        request=CustomerInput,
        responses={201: CustomerOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("Create", request_only=True,
                           value={"name": "Jan Kowalski", "email": "jan@example.com", "phone": "+48 600 100 200"}),
            OpenApiExample("Duplicate e-mail", response_only=True, status_codes=["400"],
                           value={"email": ["A customer with this e-mail already exists."], "code": "unique"}),
        ],
    )
    def post(self, request):
        data = CustomerInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_create(actor=request.user, **data.service_fields())
        return Response(CustomerOutput(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(APIView):
    """Staff read every customer; an agent the ones he owns and those verified-linked to a chat he may see."""

    @extend_schema(tags=["customers"], operation_id="customers_get", responses=CustomerOutput)
    def get(self, request, customer_id: int):
        return Response(CustomerOutput(customer_get_for(user=request.user, customer_id=customer_id)).data)

    @extend_schema(tags=["customers"], operation_id="customers_update", request=CustomerInput,
                   summary="Change a customer (owner and VIP: staff only, 403 for an agent)",
                   responses={200: CustomerOutput, 400: ErrorOutput, 403: ErrorOutput},
                   examples=[
                       OpenApiExample("Make VIP", value={"vip": True}, request_only=True),
                       OpenApiExample("An agent making himself owner", response_only=True, status_codes=["403"],
                                      value={"owner": ["Only staff can change a customer's owner or VIP flag."],
                                             "code": "forbidden"}),
                   ])
    def patch(self, request, customer_id: int):
        customer_get_for(user=request.user, customer_id=customer_id)
        data = CustomerInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_update(customer_id=customer_id, actor=request.user, **data.service_fields())
        return Response(CustomerOutput(customer).data)
