"""URLs for ``make bench`` only (ROOT_URLCONF=config.bench_urls): the application plus a bare JSON view, the
lower bound of what Django itself costs per request."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as application


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare), *application]
