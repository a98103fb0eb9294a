from django import template

from patients.body_chart import HEIGHT, WIDTH, chart_views

register = template.Library()


@register.inclusion_tag("components/body_chart.html")
def body_chart(chart_id: str, caption: str = "", for_patient: bool = False):
    """`{% body_chart "pain-map" %}`: the front and back body chart; a page's own script makes it
    interactive with `BodyChart.attach` (static/js/body_chart.js). `for_patient=True` names the
    sides as a patient reads them."""
    return {
        "chart_id": chart_id,
        "caption": caption,
        "views": chart_views(for_patient=for_patient),
        "width": WIDTH,
        "height": HEIGHT,
    }
