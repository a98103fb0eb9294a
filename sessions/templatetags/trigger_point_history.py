"""The chart's trigger-point history row: one dot per session the point was found in."""

from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from sessions.models import referral_regions_words

register = template.Library()


@register.filter
def tp_dots(points: list[dict]) -> str:
    """The dots of one muscle and side, oldest first: the (corrected) tenderness or — when not
    rated, ✓ when released, the day, rating, kind and the referral the patient reported on
    hover. Joined here, not looped in the
    template: a long-treated patient has hundreds, and the template loop was most of the
    chart's rendering time (issue 19)."""
    return format_html_join(
        "",
        '<span class="tp-dot{}" title="{}: {}/10 {}{}">{}{}</span>',
        (
            (
                " released" if p["released"] else "",
                p["day"],
                "—" if p["rating"] is None else p["rating"],
                p["kind"],
                _(", refers to: %(regions)s") % {"regions": referral_regions_words(regions)}
                if (regions := p.get("referral_regions"))
                else "",
                "—" if p["rating"] is None else p["rating"],
                "✓" if p["released"] else "",
            )
            for p in points
        ),
    )
