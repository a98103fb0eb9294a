from django import template

from patients.body_chart import HEIGHT, WIDTH, chart_views

register = template.Library()


@register.inclusion_tag("components/body_chart.html")
def body_chart(chart_id: str, caption: str = "", markers=None, for_patient: bool = False):
    """`{% body_chart "pain-map" %}`: the front and back body chart; a page's own script makes it
    interactive with `BodyChart.attach` (static/js/body_chart.js). Given `markers` (dicts of
    `view`, `x`, `y` normalised 0-1, `number` and `label`), it is a read-only picture of them,
    drawn without any script. `for_patient=True` names the sides as a patient reads them."""
    views = chart_views(for_patient=for_patient)
    if markers is not None:
        for v in views:
            v["markers"] = [
                {**m, "cx": m["x"] * WIDTH, "cy": m["y"] * HEIGHT}
                for m in markers
                if m["view"] == v["view"]
            ]
    return {
        "chart_id": chart_id,
        "caption": caption,
        "views": views,
        "width": WIDTH,
        "height": HEIGHT,
        "readonly": markers is not None,
    }
