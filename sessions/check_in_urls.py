"""The patient's post-session check-in page (no login: the token in the link is the key)."""

from django.urls import path

from . import check_in_views

urlpatterns = [
    path("check-in/thanks/", check_in_views.check_in_thanks, name="check_in_thanks"),
    path("check-in/<str:token>/", check_in_views.check_in, name="check_in"),
]
