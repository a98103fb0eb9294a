from django.urls import path

from .views import plan

urlpatterns = [
    path("patients/<int:patient_id>/plan/new/", plan.plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plan.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/sign", plan.plan_sign_view, name="plan_sign"),
    path("plans/<int:pk>/revise", plan.plan_revise_view, name="plan_revise"),
    path("plans/<int:pk>/discharge", plan.plan_discharge_view, name="plan_discharge"),
    path("plans/<int:pk>/discard", plan.plan_discard_view, name="plan_discard"),
]
