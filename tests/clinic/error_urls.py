"""The project's URLs plus a view that fails, for the error-page tests."""

from django.urls import include, path


def broken(request):
    raise RuntimeError("a bug, as a real one would surface")


urlpatterns = [path("broken/", broken), path("", include("config.urls"))]
